// Tests for numbered databases through the command layer: SELECT, every database a separate
// keyspace (reads, writes, SCAN, KEYS, RANDOMKEY, DBSIZE, expiry), MOVE, SWAPDB, FLUSHDB,
// FLUSHALL, COPY DB, SELECT inside MULTI, WATCH per database, INFO keyspace, and the empty
// key, byte for byte against Redis 7.
#include <catch2/catch.hpp>

#include <string>

#include "kernel/commands/op_batch.h"
#include "tests/unit/commands/command_fixture.h"

using keepdb::test::CommandFixture;
using namespace keepdb::test::resp2;
using namespace std::string_literals;

namespace {
const std::string kOutOfRange = error("ERR DB index is out of range");
const std::string kNotInteger = error("ERR value is not an integer or out of range");
const std::string kSameObject = error("ERR source and destination objects are the same");
}  // namespace

TEST_CASE("SELECT switches between separate keyspaces", "[db]") {
  CommandFixture db;
  CHECK(db.run({"SET", "k", "in 0"}) == kOk);
  CHECK(db.run({"SELECT", "15"}) == kOk);
  CHECK(db.session().db == 15);
  CHECK(db.run({"GET", "k"}) == kNil);
  CHECK(db.run({"EXISTS", "k"}) == integer(0));
  CHECK(db.run({"SET", "k", "in 15"}) == kOk);
  CHECK(db.run({"DBSIZE"}) == integer(1));
  CHECK(db.run({"SELECT", "0"}) == kOk);
  CHECK(db.run({"GET", "k"}) == bulk("in 0"));
  CHECK(db.stored_payload("k", 15) == "in 15");
}

TEST_CASE("SELECT refuses what names no database and stays where it was", "[db]") {
  CommandFixture db;
  db.run({"SELECT", "3"});
  for (const char* bad : {"16", "-1", "256", "-2147483648"}) {
    CAPTURE(bad);
    CHECK(db.run({"SELECT", bad}) == kOutOfRange);
  }
  CHECK(db.run({"SELECT", "2147483648"}) ==
        error("ERR value is out of range, value must between -2147483648 and 2147483647"));
  for (const char* bad : {"one", "", " 1", "1.0", "+1", "01", "99999999999999999999"}) {
    CAPTURE(bad);
    CHECK(db.run({"SELECT", bad}) == kNotInteger);
  }
  CHECK(db.session().db == 3);
}

TEST_CASE("storage.databases sets how many databases SELECT offers", "[db]") {
  CommandFixture db;
  db.config().storage.databases = 2;
  CHECK(db.run({"SELECT", "1"}) == kOk);
  CHECK(db.run({"SELECT", "2"}) == kOutOfRange);
}

TEST_CASE("SCAN KEYS RANDOMKEY and FLUSHDB see the selected database alone", "[db]") {
  CommandFixture db;
  db.run({"MSET", "a", "1", "b", "2"});
  db.run({"SELECT", "1"});
  db.run({"MSET", "c", "3", "", "empty"});
  CHECK(db.run({"KEYS", "*"}) == array({bulk(""), bulk("c")}));
  const auto page = keepdb::test::parse_scan_reply(db.run({"SCAN", "0", "COUNT", "100"}));
  REQUIRE(page);
  CHECK(page->cursor == "0");
  CHECK(page->keys == std::vector<std::string>{"", "c"});
  for (int i = 0; i < 20; ++i) {
    const std::string key = db.run({"RANDOMKEY"});
    CHECK((key == bulk("") || key == bulk("c")));
  }
  CHECK(db.run({"FLUSHDB"}) == kOk);
  CHECK(db.run({"RANDOMKEY"}) == kNil);
  CHECK(db.run({"SELECT", "0"}) == kOk);
  CHECK(db.run({"DBSIZE"}) == integer(2));
}

TEST_CASE("FLUSHALL empties every database; it takes ASYNC or SYNC alone", "[db]") {
  CommandFixture db;
  db.run({"SET", "a", "1"});
  db.run({"SELECT", "9"});
  db.run({"SET", "b", "2", "EX", "100"});
  CHECK(db.run({"FLUSHALL", "now"}) == error("ERR syntax error"));
  CHECK(db.run({"FLUSHALL", "SYNC", "ASYNC"}) == error("ERR syntax error"));
  CHECK(db.run({"DBSIZE"}) == integer(1));
  CHECK(db.run({"FLUSHALL", "async"}) == kOk);
  CHECK(db.run({"DBSIZE"}) == integer(0));
  db.run({"SELECT", "0"});
  CHECK(db.run({"DBSIZE"}) == integer(0));
  CHECK(db.run({"FLUSHALL"}) == kOk);
}

TEST_CASE("MOVE takes the key and its TTL to another database", "[db]") {
  CommandFixture db;
  db.run({"SET", "k", "v", "PX", "50000"});
  CHECK(db.run({"MOVE", "k", "4"}) == integer(1));
  CHECK(db.run({"EXISTS", "k"}) == integer(0));
  db.run({"SELECT", "4"});
  CHECK(db.run({"GET", "k"}) == bulk("v"));
  CHECK(db.run({"PTTL", "k"}) == integer(50000));
}

TEST_CASE("MOVE of a missing key, onto an existing key, or to the same database", "[db]") {
  CommandFixture db;
  CHECK(db.run({"MOVE", "missing", "1"}) == integer(0));
  db.run({"SET", "k", "here"});
  db.run({"SELECT", "1"});
  db.run({"SET", "k", "there"});
  db.run({"SELECT", "0"});
  CHECK(db.run({"MOVE", "k", "1"}) == integer(0));
  CHECK(db.run({"GET", "k"}) == bulk("here"));
  CHECK(db.run({"MOVE", "k", "0"}) == kSameObject);
  CHECK(db.run({"MOVE", "missing", "0"}) == kSameObject);
  CHECK(db.run({"MOVE", "k", "16"}) == kOutOfRange);
  CHECK(db.run({"MOVE", "k", "-1"}) == kOutOfRange);
  CHECK(db.run({"MOVE", "k", "1000"}) == kOutOfRange);
  CHECK(db.run({"MOVE", "k", "x"}) == kNotInteger);
  CHECK(db.run({"MOVE", "k"}) == error("ERR wrong number of arguments for 'move' command"));
}

TEST_CASE("MOVE of an expired key moves nothing", "[db]") {
  CommandFixture db;
  db.run({"SET", "k", "v", "PX", "10"});
  db.advance_ms(10);
  CHECK(db.run({"MOVE", "k", "1"}) == integer(0));
  db.run({"SELECT", "1"});
  CHECK(db.run({"EXISTS", "k"}) == integer(0));
}

TEST_CASE("SWAPDB exchanges two databases, TTLs included", "[db]") {
  CommandFixture db;
  db.run({"SET", "a", "0's", "EX", "100"});
  db.run({"SELECT", "2"});
  db.run({"MSET", "b", "2's", "c", "2's"});
  CHECK(db.run({"SWAPDB", "0", "2"}) == kOk);
  CHECK(db.run({"DBSIZE"}) == integer(1));
  CHECK(db.run({"TTL", "a"}) == integer(100));
  db.run({"SELECT", "0"});
  CHECK(db.run({"MGET", "a", "b", "c"}) == array({kNil, bulk("2's"), bulk("2's")}));
  CHECK(db.run({"SWAPDB", "5", "5"}) == kOk);
}

TEST_CASE("SWAPDB's errors", "[db]") {
  CommandFixture db;
  CHECK(db.run({"SWAPDB", "x", "1"}) == error("ERR invalid first DB index"));
  CHECK(db.run({"SWAPDB", "0", "y"}) == error("ERR invalid second DB index"));
  CHECK(db.run({"SWAPDB", "x", "y"}) == error("ERR invalid first DB index"));
  CHECK(db.run({"SWAPDB", "0", "16"}) == kOutOfRange);
  CHECK(db.run({"SWAPDB", "-1", "0"}) == kOutOfRange);
  CHECK(db.run({"SWAPDB", "0"}) == error("ERR wrong number of arguments for 'swapdb' command"));
}

TEST_CASE("COPY DB copies into another database; the same key there is no error", "[db]") {
  CommandFixture db;
  db.run({"SET", "k", "v", "EX", "100"});
  CHECK(db.run({"COPY", "k", "k", "DB", "3"}) == integer(1));
  CHECK(db.run({"COPY", "k", "k", "DB", "3"}) == integer(0));
  CHECK(db.run({"COPY", "k", "k", "DB", "3", "REPLACE"}) == integer(1));
  CHECK(db.run({"COPY", "k", "k", "DB", "0"}) == kSameObject);
  CHECK(db.run({"COPY", "k", "k"}) == kSameObject);
  CHECK(db.run({"COPY", "k", "j", "DB", "16"}) == kOutOfRange);
  CHECK(db.run({"COPY", "k", "j", "DB", "x"}) == kNotInteger);
  CHECK(db.run({"COPY", "missing", "j", "DB", "3"}) == integer(0));
  db.run({"SELECT", "3"});
  CHECK(db.run({"GET", "k"}) == bulk("v"));
  CHECK(db.run({"TTL", "k"}) == integer(100));
  CHECK(db.run({"COPY", "k", "k", "DB", "0"}) == integer(0));  // 0 has k
}

TEST_CASE("a key expires in its own database, lazily and through keepdb.expired", "[db]") {
  CommandFixture db;
  db.run({"SELECT", "6"});
  db.run({"SET", "k", "v", "PX", "10"});
  db.run({"SELECT", "0"});
  db.run({"SET", "k", "persistent"});
  db.advance_ms(10);
  CHECK(db.run({"GET", "k"}) == bulk("persistent"));
  db.run({"SELECT", "6"});
  CHECK(db.run({"GET", "k"}) == kNil);
  CHECK(db.run({"DBSIZE"}) == integer(1));  // stored until erased, as Redis counts
  keepdb::commands::OpBatchBuilder builder;
  const std::vector<std::string_view> op = {"keepdb.expired", "k"};
  builder.add(op, 6);
  CHECK(db.apply_batch(builder.take(db.now_ms()))[0].integer == 1);
  CHECK(db.run({"DBSIZE"}) == integer(0));
  db.run({"SELECT", "0"});
  CHECK(db.run({"GET", "k"}) == bulk("persistent"));
}

TEST_CASE("the empty key is a key like any other", "[db][empty-key]") {
  CommandFixture db;
  CHECK(db.run({"SET", "", "v"}) == kOk);
  CHECK(db.run({"GET", ""}) == bulk("v"));
  CHECK(db.run({"EXISTS", ""}) == integer(1));
  CHECK(db.run({"APPEND", "", "w"}) == integer(2));
  CHECK(db.run({"EXPIRE", "", "100"}) == integer(1));
  CHECK(db.run({"TTL", ""}) == integer(100));
  CHECK(db.run({"RENAME", "", "named"}) == kOk);
  CHECK(db.run({"RENAME", "named", ""}) == kOk);
  CHECK(db.run({"KEYS", "*"}) == array({bulk("")}));
  CHECK(db.run({"DEL", ""}) == integer(1));
  CHECK(db.run({"GET", ""}) == kNil);
  CHECK(db.run({"INCR", ""}) == integer(1));
  CHECK(db.run({"SETBIT", "", "0", "1"}) == integer(0));
}

TEST_CASE("a key of 510 bytes is stored and a longer one refused, never as 'empty'",
          "[db][empty-key]") {
  CommandFixture db;
  CHECK(db.run({"SET", std::string(510, 'k'), "v"}) == kOk);
  const std::string too_long =
      error("ERR key is too long (KeepDB keys are at most 510 bytes)");
  CHECK(db.run({"SET", std::string(511, 'k'), "v"}) == too_long);
  CHECK(db.run({"GET", std::string(511, 'k')}) == kNil);
}

TEST_CASE("SELECT inside MULTI is queued and moves the rest of the transaction", "[db][multi]") {
  CommandFixture db;
  CHECK(db.run({"MULTI"}) == kOk);
  CHECK(db.run({"SET", "k", "in 0"}) == "+QUEUED\r\n");
  CHECK(db.run({"SELECT", "2"}) == "+QUEUED\r\n");
  CHECK(db.run({"SET", "k", "in 2"}) == "+QUEUED\r\n");
  CHECK(db.run({"SELECT", "99"}) == "+QUEUED\r\n");
  CHECK(db.run({"GET", "k"}) == "+QUEUED\r\n");
  CHECK(db.run({"EXEC"}) == array({kOk, kOk, kOk, kOutOfRange, bulk("in 2")}));
  CHECK(db.session().db == 2);
  CHECK(db.stored_payload("k", 0) == "in 0");
  CHECK(db.stored_payload("k", 2) == "in 2");
}

TEST_CASE("WATCH watches a key of the database it was sent in", "[db][multi]") {
  CommandFixture db;
  db.run({"SELECT", "1"});
  CHECK(db.run({"WATCH", "k"}) == kOk);
  db.run({"SELECT", "0"});
  db.run({"SET", "k", "changed in 0"});  // not the watched key
  db.run({"MULTI"});
  db.run({"SET", "done", "1"});
  CHECK(db.run({"EXEC"}) == array({kOk}));
  db.run({"SELECT", "1"});
  db.run({"WATCH", "k"});
  db.put("k", "changed in 1", 0, 1);
  db.run({"MULTI"});
  db.run({"SELECT", "0"});
  CHECK(db.run({"EXEC"}) == "*-1\r\n");
  CHECK(db.session().db == 1);  // the aborted SELECT did not run
}

TEST_CASE("INFO keyspace has one line per database that holds keys", "[db][info]") {
  CommandFixture db;
  db.run({"SET", "a", "1"});
  db.run({"SELECT", "12"});
  db.run({"SET", "b", "2", "EX", "100"});
  db.run({"SET", "c", "3"});
  const std::string info = db.run({"INFO", "keyspace"});
  CHECK_THAT(info, Catch::Contains("db0:keys=1,expires=0,avg_ttl=0\r\n"
                                   "db12:keys=2,expires=1,avg_ttl=0\r\n"));
  CHECK_THAT(info, !Catch::Contains("db1:"));
}

TEST_CASE("roles apply in every database", "[db][roles]") {
  CommandFixture db;
  db.session().roles = keepdb::commands::kRoleRead;
  db.session().principal = "reader";
  CHECK(db.run({"SELECT", "5"}) == kOk);
  CHECK(db.run({"SET", "k", "v"}) ==
        error("NOPERM User reader has no permissions to run the 'set' command"));
  CHECK(db.run({"MOVE", "k", "1"}) ==
        error("NOPERM User reader has no permissions to run the 'move' command"));
  CHECK(db.run({"SWAPDB", "0", "1"}) ==
        error("NOPERM User reader has no permissions to run the 'swapdb' command"));
  CHECK(db.run({"FLUSHALL"}) ==
        error("NOPERM User reader has no permissions to run the 'flushall' command"));
  CHECK(db.run({"GET", "k"}) == kNil);
}

TEST_CASE("HELLO keeps the selected database; RESET goes back to 0 and out of MULTI",
          "[db][reset]") {
  CommandFixture db;
  db.run({"SELECT", "4"});
  db.run({"HELLO", "3"});
  CHECK(db.session().db == 4);
  db.run({"SET", "k", "in 4"});
  CHECK(db.stored_payload("k", 4) == "in 4");
  db.run({"CLIENT", "SETNAME", "named"});
  db.run({"WATCH", "k"});
  db.run({"MULTI"});
  CHECK(db.run({"RESET"}) == "+RESET\r\n");
  CHECK(db.session().db == 0);
  CHECK(db.session().protocol == keepdb::resp::Protocol::kResp2);
  CHECK(db.session().name.empty());
  CHECK_FALSE(db.session().transaction.active);
  CHECK(db.session().transaction.watched.empty());
  CHECK(db.run({"GET", "k"}) == kNil);
  CHECK(db.run({"RESET", "x"}) == error("ERR wrong number of arguments for 'reset' command"));
}

// command_fuzz runs every input after reset() in one environment: what an input leaves
// behind must not reach the next one.
TEST_CASE("the fixture's reset() empties every database and starts a fresh session", "[db]") {
  CommandFixture db;
  db.run({"SET", "k", "in 0"});
  db.run({"SELECT", "7"});
  db.advance_ms(5'000);
  db.run({"SET", "k", "in 7", "EX", "100"});
  db.run({"HELLO", "3"});
  db.run({"MULTI"});
  db.config().limits.max_keys_visited = 1;
  db.reset();
  CHECK(db.session().db == 0);
  CHECK(db.config().limits.max_keys_visited == keepdb::config::Limits{}.max_keys_visited);
  CHECK(db.run({"DBSIZE"}) == integer(0));  // RESP2 again, and not queued
  CHECK_FALSE(db.stored_payload("k", 0));
  CHECK_FALSE(db.stored_payload("k", 7));
  CommandFixture fresh;
  CHECK(db.now_ms() == fresh.now_ms());
  // Deadlines count from the fixture's clock again, not from the state machine's stored one.
  CHECK(db.run({"SET", "k", "v", "PX", "100"}) == kOk);
  CHECK(db.stored_expiry("k") == fresh.now_ms() + 100);
}
