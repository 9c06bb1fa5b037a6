// Tests for the keyspace family apart from SCAN (scan_test.cpp): DEL, UNLINK, EXISTS, TOUCH,
// TYPE, DBSIZE, FLUSHDB, RENAME, RENAMENX, COPY, KEYS (and its cap), RANDOMKEY and OBJECT,
// byte for byte against Redis 7.
#include <catch2/catch.hpp>

#include "tests/unit/commands/command_fixture.h"

using keepdb::test::CommandFixture;
using namespace keepdb::test::resp2;

TEST_CASE("DEL counts each existing key once, even when repeated", "[keyspace]") {
  CommandFixture db;
  db.run({"MSET", "a", "1", "b", "2"});
  CHECK(db.run({"DEL", "a", "a", "missing", "b"}) == integer(2));
  CHECK(db.run({"DEL", "a"}) == integer(0));
  CHECK(db.run({"DBSIZE"}) == integer(0));
}

TEST_CASE("EXISTS counts a repeated existing key every time", "[keyspace]") {
  CommandFixture db;
  db.run({"SET", "a", "1"});
  CHECK(db.run({"EXISTS", "a", "a", "missing", "a"}) == integer(3));
  CHECK(db.run({"EXISTS", "missing"}) == integer(0));
}

TEST_CASE("DBSIZE counts keys after sets, overwrites and deletes", "[keyspace]") {
  CommandFixture db;
  CHECK(db.run({"DBSIZE"}) == integer(0));
  db.run({"MSET", "a", "1", "b", "2", "c", "3"});
  db.run({"SET", "a", "again"});
  CHECK(db.run({"DBSIZE"}) == integer(3));
  db.run({"DEL", "b"});
  CHECK(db.run({"DBSIZE"}) == integer(2));
}

TEST_CASE("FLUSHDB removes every key, with SYNC or ASYNC too", "[keyspace]") {
  const auto mode = GENERATE(as<std::string>{}, "", "SYNC", "async");
  CAPTURE(mode);
  CommandFixture db;
  db.run({"MSET", "a", "1", "b", "2"});
  CHECK((mode.empty() ? db.run({"FLUSHDB"}) : db.run({"FLUSHDB", mode})) == kOk);
  CHECK(db.run({"DBSIZE"}) == integer(0));
  CHECK(db.run({"GET", "a"}) == kNil);
  CHECK(db.run({"SET", "a", "after"}) == kOk);
  CHECK(db.run({"DBSIZE"}) == integer(1));
}

TEST_CASE("FLUSHDB with another argument is a syntax error and keeps the keys", "[keyspace]") {
  CommandFixture db;
  db.run({"SET", "a", "1"});
  CHECK(db.run({"FLUSHDB", "now"}) == error("ERR syntax error"));
  CHECK(db.run({"FLUSHDB", "SYNC", "ASYNC"}) == error("ERR syntax error"));
  CHECK(db.run({"DBSIZE"}) == integer(1));
}

TEST_CASE("UNLINK deletes like DEL", "[keyspace]") {
  CommandFixture db;
  db.run({"MSET", "a", "1", "b", "2"});
  CHECK(db.run({"UNLINK", "a", "a", "missing"}) == integer(1));
  CHECK(db.run({"EXISTS", "a", "b"}) == integer(1));
}

TEST_CASE("TOUCH counts existing keys like EXISTS and TYPE names strings", "[keyspace]") {
  CommandFixture db;
  db.run({"SET", "a", "1"});
  db.run({"SET", "gone", "1", "PX", "10"});
  db.advance_ms(10);
  CHECK(db.run({"TOUCH", "a", "missing", "a", "gone"}) == integer(2));
  CHECK(db.run({"TYPE", "a"}) == "+string\r\n");
  CHECK(db.run({"TYPE", "gone"}) == "+none\r\n");
  CHECK(db.run({"TYPE", "missing"}) == "+none\r\n");
}

TEST_CASE("RENAME moves the value and its TTL and drops the destination's", "[keyspace]") {
  CommandFixture db;
  db.run({"SET", "src", "v", "PX", "5000"});
  db.run({"SET", "dst", "old", "PX", "9000"});
  const std::uint64_t deadline = db.now_ms() + 5000;
  CHECK(db.run({"RENAME", "src", "dst"}) == kOk);
  CHECK(db.stored_payload("dst") == "v");
  CHECK(db.stored_expiry("dst") == deadline);
  CHECK_FALSE(db.stored_payload("src"));
  db.run({"SET", "plain", "p"});
  CHECK(db.run({"RENAME", "plain", "dst"}) == kOk);
  CHECK(db.stored_expiry("dst") == 0);
  CHECK(db.run({"RENAME", "dst", "dst"}) == kOk);
  CHECK(db.stored_payload("dst") == "p");
}

TEST_CASE("RENAME and RENAMENX of a missing or expired key reply no such key", "[keyspace]") {
  CommandFixture db;
  db.run({"SET", "gone", "v", "PX", "10"});
  db.advance_ms(10);
  CHECK(db.run({"RENAME", "missing", "x"}) == error("ERR no such key"));
  CHECK(db.run({"RENAMENX", "gone", "x"}) == error("ERR no such key"));
  CHECK(db.run({"RENAME", "missing", "missing"}) == error("ERR no such key"));
}

TEST_CASE("RENAMENX renames only onto an absent key", "[keyspace]") {
  CommandFixture db;
  db.run({"MSET", "a", "1", "b", "2"});
  db.run({"SET", "expired", "x", "PX", "10"});
  db.advance_ms(10);
  CHECK(db.run({"RENAMENX", "a", "b"}) == integer(0));
  CHECK(db.run({"RENAMENX", "a", "a"}) == integer(0));
  CHECK(db.run({"RENAMENX", "a", "expired"}) == integer(1));
  CHECK(db.stored_payload("expired") == "1");
  CHECK_FALSE(db.stored_payload("a"));
}

TEST_CASE("COPY copies the value and its TTL and replaces only with REPLACE", "[keyspace]") {
  CommandFixture db;
  db.run({"SET", "src", "v", "PX", "5000"});
  db.run({"SET", "dst", "old"});
  CHECK(db.run({"COPY", "src", "dst"}) == integer(0));
  CHECK(db.stored_payload("dst") == "old");
  CHECK(db.run({"COPY", "src", "dst", "replace", "DB", "0"}) == integer(1));
  CHECK(db.stored_payload("dst") == "v");
  CHECK(db.stored_expiry("dst") == db.now_ms() + 5000);
  CHECK(db.stored_payload("src") == "v");
  CHECK(db.run({"COPY", "missing", "new"}) == integer(0));
  CHECK(db.run({"COPY", "src", "new"}) == integer(1));
}

TEST_CASE("COPY option errors are Redis's and come before the key checks", "[keyspace]") {
  CommandFixture db;
  db.run({"SET", "a", "1"});
  CHECK(db.run({"COPY", "a", "b", "DB", "16"}) == error("ERR DB index is out of range"));
  CHECK(db.run({"COPY", "a", "b", "DB", "-1"}) == error("ERR DB index is out of range"));
  CHECK(db.run({"COPY", "a", "b", "DB", "x"}) ==
        error("ERR value is not an integer or out of range"));
  CHECK(db.run({"COPY", "a", "b", "DB"}) == error("ERR syntax error"));
  CHECK(db.run({"COPY", "a", "b", "NOW"}) == error("ERR syntax error"));
  CHECK(db.run({"COPY", "a", "a"}) == error("ERR source and destination objects are the same"));
  CHECK(db.run({"COPY", "a"}) == error("ERR wrong number of arguments for 'copy' command"));
  CHECK_FALSE(db.stored_payload("b"));
}

TEST_CASE("KEYS replies the live keys that match, in key order", "[keyspace]") {
  CommandFixture db;
  db.run({"MSET", "user:1", "a", "user:2", "b", "other", "c"});
  db.run({"SET", "user:3", "x", "PX", "10"});
  db.advance_ms(10);
  CHECK(db.run({"KEYS", "user:*"}) == array({bulk("user:1"), bulk("user:2")}));
  CHECK(db.run({"KEYS", "*"}) == array({bulk("other"), bulk("user:1"), bulk("user:2")}));
  CHECK(db.run({"KEYS", "nothing*"}) == array({}));
}

TEST_CASE("KEYS over limits.max_keys_visited keys is refused and names SCAN", "[keyspace]") {
  CommandFixture db;
  db.config().limits.max_keys_visited = 2;
  db.run({"MSET", "a", "1", "b", "2"});
  CHECK(db.run({"KEYS", "*"}) == array({bulk("a"), bulk("b")}));
  db.run({"SET", "c", "3"});
  CHECK(db.run({"KEYS", "a"}) ==
        error("ERR KEYS refused: the database holds more than 2 keys (limits.max_keys_visited); "
              "use SCAN"));
}

TEST_CASE("RANDOMKEY replies some live key or nil", "[keyspace]") {
  CommandFixture db;
  CHECK(db.run({"RANDOMKEY"}) == kNil);
  db.run({"SET", "gone", "x", "PX", "10"});
  db.advance_ms(10);
  CHECK(db.run({"RANDOMKEY"}) == kNil);
  db.run({"MSET", "a", "1", "b", "2"});
  for (int i = 0; i < 20; ++i) {
    const std::string reply = db.run({"RANDOMKEY"});
    CHECK((reply == bulk("a") || reply == bulk("b")));
  }
}

TEST_CASE("OBJECT answers as Redis for strings", "[keyspace]") {
  CommandFixture db;
  db.run({"MSET", "small", "42", "big", "123456", "neg", "-5", "zero", "0123", "text", "hello"});
  db.run({"SET", "long", std::string(45, 'x')});
  CHECK(db.run({"OBJECT", "ENCODING", "small"}) == bulk("int"));
  CHECK(db.run({"OBJECT", "encoding", "neg"}) == bulk("int"));
  CHECK(db.run({"OBJECT", "ENCODING", "zero"}) == bulk("embstr"));
  CHECK(db.run({"OBJECT", "ENCODING", "text"}) == bulk("embstr"));
  CHECK(db.run({"OBJECT", "ENCODING", "long"}) == bulk("raw"));
  CHECK(db.run({"OBJECT", "ENCODING", "missing"}) == kNil);
  CHECK(db.run({"OBJECT", "REFCOUNT", "small"}) == integer(2147483647));
  CHECK(db.run({"OBJECT", "REFCOUNT", "big"}) == integer(1));
  CHECK(db.run({"OBJECT", "REFCOUNT", "neg"}) == integer(1));
  CHECK(db.run({"OBJECT", "IDLETIME", "text"}) == integer(0));
  CHECK(db.run({"OBJECT", "FREQ", "missing"}) == kNil);
  CHECK(db.run({"OBJECT", "FREQ", "text"}).starts_with("-ERR An LFU maxmemory policy"));
}

TEST_CASE("OBJECT subcommand errors are Redis's", "[keyspace]") {
  CommandFixture db;
  CHECK(db.run({"OBJECT"}) == error("ERR wrong number of arguments for 'object' command"));
  CHECK(db.run({"OBJECT", "ENCODING"}) ==
        error("ERR wrong number of arguments for 'object|encoding' command"));
  CHECK(db.run({"OBJECT", "Refcount", "a", "b"}) ==
        error("ERR wrong number of arguments for 'object|refcount' command"));
  CHECK(db.run({"OBJECT", "foo", "a"}) == error("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
  CHECK(db.run({"OBJECT", "HELP"})
            .starts_with(
                "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"));
}
