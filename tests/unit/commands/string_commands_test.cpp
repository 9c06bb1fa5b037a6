// Tests for the string family (GET GETRANGE SUBSTR LCS SET SETNX GETSET GETDEL APPEND SETRANGE
// STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT MGET MSET MSETNX): each reply compared byte for
// byte with what Redis 7 sends, plus the KeepDB key length limit and what happens to a stored
// expiry.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "kernel/commands/op_batch.h"
#include "tests/unit/commands/command_fixture.h"

using namespace std::string_literals;
using keepdb::test::CommandFixture;
using namespace keepdb::test::resp2;

namespace {

const std::string kNotInteger = error("ERR value is not an integer or out of range");
const std::string kOverflow = error("ERR increment or decrement would overflow");
const std::string kSyntax = error("ERR syntax error");
const std::string kKeyTooLong = error("ERR key is too long (KeepDB keys are at most 510 bytes)");

}  // namespace

// ---- GET / SET ----

TEST_CASE("GET of a missing key replies nil", "[string]") {
  CommandFixture db;
  CHECK(db.run({"GET", "missing"}) == kNil);
}

TEST_CASE("SET then GET returns the value, binary-safe", "[string]") {
  CommandFixture db;
  const std::string value = "a\0b\r\nc"s;
  CHECK(db.run({"SET", "k", value}) == kOk);
  CHECK(db.run({"GET", "k"}) == "$6\r\na\0b\r\nc\r\n"s);
}

TEST_CASE("SET NX on a missing key sets it and replies OK", "[string]") {
  CommandFixture db;
  CHECK(db.run({"SET", "k", "v", "NX"}) == kOk);
  CHECK(db.run({"GET", "k"}) == bulk("v"));
}

TEST_CASE("SET NX on an existing key replies nil and keeps the value", "[string]") {
  CommandFixture db;
  db.run({"SET", "k", "old"});
  CHECK(db.run({"SET", "k", "new", "nx"}) == kNil);
  CHECK(db.run({"GET", "k"}) == bulk("old"));
}

TEST_CASE("SET XX on a missing key replies nil and creates nothing", "[string]") {
  CommandFixture db;
  CHECK(db.run({"SET", "k", "v", "XX"}) == kNil);
  CHECK(db.run({"EXISTS", "k"}) == integer(0));
}

TEST_CASE("SET XX on an existing key replaces it", "[string]") {
  CommandFixture db;
  db.run({"SET", "k", "old"});
  CHECK(db.run({"SET", "k", "new", "xX"}) == kOk);
  CHECK(db.run({"GET", "k"}) == bulk("new"));
}

TEST_CASE("SET with both NX and XX, or an unknown option, is a syntax error", "[string]") {
  CommandFixture db;
  CHECK(db.run({"SET", "k", "v", "NX", "XX"}) == kSyntax);
  CHECK(db.run({"SET", "k", "v", "XX", "NX"}) == kSyntax);
  CHECK(db.run({"SET", "k", "v", "FOO"}) == kSyntax);
  CHECK(db.run({"EXISTS", "k"}) == integer(0));
}

TEST_CASE("SET GET replies the old value (nil when missing) and sets the new one", "[string]") {
  CommandFixture db;
  CHECK(db.run({"SET", "k", "first", "GET"}) == kNil);
  CHECK(db.run({"SET", "k", "second", "get"}) == bulk("first"));
  CHECK(db.run({"GET", "k"}) == bulk("second"));
}

TEST_CASE("SET NX GET on an existing key replies the old value and does not set", "[string]") {
  CommandFixture db;
  db.run({"SET", "k", "old"});
  CHECK(db.run({"SET", "k", "new", "NX", "GET"}) == bulk("old"));
  CHECK(db.run({"GET", "k"}) == bulk("old"));
}

TEST_CASE("SET XX GET on a missing key replies nil and creates nothing", "[string]") {
  CommandFixture db;
  CHECK(db.run({"SET", "k", "v", "XX", "GET"}) == kNil);
  CHECK(db.run({"EXISTS", "k"}) == integer(0));
}

TEST_CASE("SET KEEPTTL keeps the stored expiry and plain SET drops it", "[string]") {
  CommandFixture db;
  db.put("k", "v", 4'102'444'800'000);
  CHECK(db.run({"SET", "k", "kept", "KEEPTTL"}) == kOk);
  CHECK(db.stored_expiry("k") == 4'102'444'800'000u);
  CHECK(db.run({"SET", "k", "plain"}) == kOk);
  CHECK(db.stored_expiry("k") == 0u);
  CHECK(db.run({"GET", "k"}) == bulk("plain"));
}

// ---- SETNX / GETSET / GETDEL ----

TEST_CASE("SETNX replies 1 when it sets and 0 when the key exists", "[string]") {
  CommandFixture db;
  CHECK(db.run({"SETNX", "k", "first"}) == integer(1));
  CHECK(db.run({"SETNX", "k", "second"}) == integer(0));
  CHECK(db.run({"GET", "k"}) == bulk("first"));
}

TEST_CASE("GETSET replies the old value (nil when missing) and drops the expiry", "[string]") {
  CommandFixture db;
  CHECK(db.run({"GETSET", "k", "first"}) == kNil);
  db.put("k", "expiring", 4'102'444'800'000);
  CHECK(db.run({"GETSET", "k", "second"}) == bulk("expiring"));
  CHECK(db.run({"GET", "k"}) == bulk("second"));
  CHECK(db.stored_expiry("k") == 0u);
}

TEST_CASE("GETDEL replies the value and deletes the key, nil when missing", "[string]") {
  CommandFixture db;
  db.run({"SET", "k", "v"});
  CHECK(db.run({"GETDEL", "k"}) == bulk("v"));
  CHECK(db.run({"EXISTS", "k"}) == integer(0));
  CHECK(db.run({"GETDEL", "k"}) == kNil);
}

// ---- APPEND / STRLEN ----

TEST_CASE("APPEND creates a missing key and replies the new length", "[string]") {
  CommandFixture db;
  CHECK(db.run({"APPEND", "k", "Hello"}) == integer(5));
  CHECK(db.run({"APPEND", "k", " World"}) == integer(11));
  CHECK(db.run({"APPEND", "k", ""}) == integer(11));
  CHECK(db.run({"GET", "k"}) == bulk("Hello World"));
}

TEST_CASE("APPEND keeps the stored expiry", "[string]") {
  CommandFixture db;
  db.put("k", "a", 4'102'444'800'000);
  CHECK(db.run({"APPEND", "k", "b"}) == integer(2));
  CHECK(db.stored_expiry("k") == 4'102'444'800'000u);
}

TEST_CASE("APPEND past the value limit is refused with proto-max-bulk-len", "[string]") {
  CommandFixture db(8);
  CHECK(db.run({"APPEND", "k", "12345678"}) == integer(8));
  CHECK(db.run({"APPEND", "k", "9"}) ==
        error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  CHECK(db.run({"GET", "k"}) == bulk("12345678"));
}

// Every node must give a replicated APPEND the same answer, whatever its own limit: the
// batch carries its leader's, and only batches from before it use the node's own.
TEST_CASE("APPEND is checked against the limit its batch carries, not the applying node's",
          "[string]") {
  CommandFixture follower(8);  // its own limits.max_bulk_bytes
  const std::vector<std::string_view> append = {"APPEND", "k", "0123456789"};
  keepdb::commands::OpBatchBuilder leader(16, 16);
  leader.add(append);
  const auto grown = follower.apply_batch(leader.take(follower.now_ms()));
  REQUIRE(grown.size() == 1);
  CHECK(grown[0].integer == 10);
  CHECK(follower.stored_payload("k").has_value());

  keepdb::commands::OpBatchBuilder strict(16, 12);
  strict.add(append);
  const auto refused = follower.apply_batch(strict.take(follower.now_ms()));
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].kind == keepdb::commands::Reply::Kind::kError);

  // A version 3 batch (no limit in it): the node's own 8 bytes.
  std::string v3 = "\x03"s + std::string(8, '\0') + "\x10\x00"s + "\x01\x00\x00\x00"s + "\x00"s;
  v3 += "\x03\x00\x00\x00"s + "\x06\x00\x00\x00"s + "APPEND" + "\x01\x00\x00\x00"s + "n";
  v3 += "\x09\x00\x00\x00"s + "123456789";
  const auto old_batch = follower.apply_batch(v3);
  REQUIRE(old_batch.size() == 1);
  CHECK(old_batch[0].kind == keepdb::commands::Reply::Kind::kError);
}

TEST_CASE("STRLEN replies the byte length, 0 for a missing key", "[string]") {
  CommandFixture db;
  CHECK(db.run({"STRLEN", "missing"}) == integer(0));
  db.run({"SET", "k", "a\0b"s});
  CHECK(db.run({"STRLEN", "k"}) == integer(3));
}

// ---- counters ----

TEST_CASE("INCR DECR INCRBY DECRBY count from 0 on a missing key", "[string][counter]") {
  CommandFixture db;
  CHECK(db.run({"INCR", "n"}) == integer(1));
  CHECK(db.run({"INCRBY", "n", "41"}) == integer(42));
  CHECK(db.run({"DECR", "n"}) == integer(41));
  CHECK(db.run({"DECRBY", "n", "50"}) == integer(-9));
  CHECK(db.run({"INCRBY", "n", "-1"}) == integer(-10));
  CHECK(db.run({"DECRBY", "m", "-3"}) == integer(3));
  CHECK(db.run({"GET", "n"}) == bulk("-10"));
}

TEST_CASE("INCR on a value that is not a canonical integer is refused", "[string][counter]") {
  const auto value = GENERATE(as<std::string>{}, "01", " 1", "1 ", "+1", "1.0", "abc", "", "-0",
                              "-", "0x10", "1e3", "123456789012345678901", "99999999999999999999",
                              "9223372036854775808", "1\0"s);
  CAPTURE(value);
  CommandFixture db;
  db.put("n", value);
  CHECK(db.run({"INCR", "n"}) == kNotInteger);
  CHECK(db.run({"DECRBY", "n", "1"}) == kNotInteger);
  CHECK(db.stored_payload("n") == value);
}

TEST_CASE("INCRBY and DECRBY refuse an increment that is not a canonical integer",
          "[string][counter]") {
  const auto increment = GENERATE(as<std::string>{}, "01", " 1", "+1", "1.0", "", "-0",
                                  "123456789012345678901", "9223372036854775808");
  CAPTURE(increment);
  CommandFixture db;
  CHECK(db.run({"INCRBY", "n", increment}) == kNotInteger);
  CHECK(db.run({"DECRBY", "n", increment}) == kNotInteger);
  CHECK(db.run({"EXISTS", "n"}) == integer(0));
}

TEST_CASE("INCR accepts the int64 extremes written canonically", "[string][counter]") {
  CommandFixture db;
  db.put("n", "-9223372036854775808");
  CHECK(db.run({"INCR", "n"}) == integer(-9223372036854775807));
  db.put("m", "9223372036854775806");
  CHECK(db.run({"INCR", "m"}) == integer(9223372036854775807));
  CHECK(db.run({"INCRBY", "z", "-9223372036854775808"}) == integer(INT64_MIN));
}

TEST_CASE("INCR and DECR past the int64 range reply overflow and keep the value",
          "[string][counter]") {
  CommandFixture db;
  db.put("max", "9223372036854775807");
  db.put("min", "-9223372036854775808");
  CHECK(db.run({"INCR", "max"}) == kOverflow);
  CHECK(db.run({"INCRBY", "max", "1"}) == kOverflow);
  CHECK(db.run({"DECR", "min"}) == kOverflow);
  CHECK(db.run({"DECRBY", "min", "1"}) == kOverflow);
  CHECK(db.run({"INCRBY", "min", "-1"}) == kOverflow);
  db.put("one", "1");
  CHECK(db.run({"INCRBY", "one", "9223372036854775807"}) == kOverflow);
  CHECK(db.run({"DECRBY", "one", "-9223372036854775807"}) == kOverflow);
  CHECK(db.stored_payload("max") == "9223372036854775807");
  CHECK(db.stored_payload("min") == "-9223372036854775808");
  CHECK(db.stored_payload("one") == "1");
}

TEST_CASE("DECRBY INT64_MIN replies 'decrement would overflow' as Redis 7 does",
          "[string][counter]") {
  CommandFixture db;
  CHECK(db.run({"DECRBY", "n", "-9223372036854775808"}) == error("ERR decrement would overflow"));
  CHECK(db.run({"EXISTS", "n"}) == integer(0));
}

TEST_CASE("INCR keeps the stored expiry", "[string][counter]") {
  CommandFixture db;
  db.put("n", "5", 4'102'444'800'000);
  CHECK(db.run({"INCR", "n"}) == integer(6));
  CHECK(db.stored_expiry("n") == 4'102'444'800'000u);
}

// ---- GETRANGE / SETRANGE ----

TEST_CASE("GETRANGE counts negative offsets from the end and clamps to the value", "[string]") {
  CommandFixture db;
  db.run({"SET", "k", "Hello World"});
  CHECK(db.run({"GETRANGE", "k", "-5", "-1"}) == bulk("World"));
  CHECK(db.run({"SUBSTR", "k", "0", "4"}) == bulk("Hello"));
  CHECK(db.run({"GETRANGE", "k", "-1", "-5"}) == bulk(""));
  CHECK(db.run({"GETRANGE", "missing", "0", "-1"}) == bulk(""));
  CHECK(db.run({"GETRANGE", "k", "x", "1"}) == kNotInteger);
}

TEST_CASE("SETRANGE pads with zero bytes and keeps the TTL", "[string]") {
  CommandFixture db;
  CHECK(db.run({"SETRANGE", "k", "3", "ab"}) == integer(5));
  CHECK(db.stored_payload("k") == "\0\0\0ab"s);
  db.put("t", "abc", db.now_ms() + 10'000);
  CHECK(db.run({"SETRANGE", "t", "1", "Z"}) == integer(3));
  CHECK(db.stored_payload("t") == "aZc");
  CHECK(db.stored_expiry("t") == db.now_ms() + 10'000);
}

TEST_CASE("SETRANGE with an empty patch creates nothing and replies the length", "[string]") {
  CommandFixture db;
  CHECK(db.run({"SETRANGE", "k", "100", ""}) == integer(0));
  CHECK(db.run({"EXISTS", "k"}) == integer(0));
  db.run({"SET", "k", "abc"});
  CHECK(db.run({"SETRANGE", "k", "100", ""}) == integer(3));
  CHECK(db.run({"SETRANGE", "k", "-1", "x"}) == error("ERR offset is out of range"));
}

TEST_CASE("SETRANGE may not grow a value past the largest value KeepDB stores", "[string]") {
  CommandFixture db(8);
  const std::string too_long =
      error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  CHECK(db.run({"SETRANGE", "k", "6", "ab"}) == integer(8));
  CHECK(db.run({"SETRANGE", "k", "7", "ab"}) == too_long);
  CHECK(db.run({"SETRANGE", "k", "0", "123456789"}) == too_long);
  CHECK(db.run({"SETRANGE", "k", "9223372036854775807", "x"}) == too_long);
  CHECK(db.run({"STRLEN", "k"}) == integer(8));
}

TEST_CASE("SETRANGE on an expired key starts from an empty value without a TTL", "[string]") {
  CommandFixture db;
  db.put("k", "abcdef", db.now_ms() + 1000);
  db.advance_ms(1000);
  CHECK(db.run({"SETRANGE", "k", "1", "x"}) == integer(2));
  CHECK(db.stored_payload("k") == "\0x"s);
  CHECK(db.stored_expiry("k") == 0u);
}

// ---- LCS ----

TEST_CASE("LCS replies the subsequence, its length or its match ranges", "[string]") {
  CommandFixture db;
  db.run({"MSET", "a", "ohmytext", "b", "mynewtext"});
  CHECK(db.run({"LCS", "a", "b"}) == bulk("mytext"));
  CHECK(db.run({"LCS", "a", "b", "LEN"}) == integer(6));
  const auto range = [](int first, int last) { return array({integer(first), integer(last)}); };
  CHECK(db.run({"LCS", "a", "b", "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"}) ==
        array({bulk("matches"),
               array({array({range(4, 7), range(5, 8), integer(4)}),
                      array({range(2, 3), range(0, 1), integer(2)})}),
               bulk("len"), integer(6)}));
  CHECK(db.run({"LCS", "a", "missing"}) == bulk(""));
  CHECK(db.run({"LCS", "a", "b", "LEN", "IDX"}) ==
        error("ERR If you want both the length and indexes, please just use IDX."));
}

TEST_CASE("LCS refuses values whose table would pass the largest bulk string", "[string]") {
  CommandFixture db;  // limits.max_bulk_bytes: 16 MiB, a table of 2048 x 2048 cells
  db.put("a", std::string(2047, 'x'));
  db.put("b", std::string(2047, 'x'));
  CHECK(db.run({"LCS", "a", "b", "LEN"}) == integer(2047));
  db.put("b", std::string(2048, 'x'));
  CHECK(db.run({"LCS", "a", "b", "LEN"}) ==
        error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
}

// ---- INCRBYFLOAT ----

TEST_CASE("INCRBYFLOAT writes the sum as Redis does, without trailing zeros", "[string]") {
  CommandFixture db;
  db.run({"SET", "f", "10.50"});
  CHECK(db.run({"INCRBYFLOAT", "f", "0.1"}) == bulk("10.6"));
  CHECK(db.stored_payload("f") == "10.6");
  CHECK(db.run({"INCRBYFLOAT", "f", "-10.6"}) == bulk("0"));
  CHECK(db.run({"INCRBYFLOAT", "new", "5.0e3"}) == bulk("5000"));
  CHECK(db.run({"INCRBYFLOAT", "f", "abc"}) == error("ERR value is not a valid float"));
  CHECK(db.run({"INCRBYFLOAT", "f", "inf"}) ==
        error("ERR increment would produce NaN or Infinity"));
  db.run({"SET", "s", "abc"});
  CHECK(db.run({"INCRBYFLOAT", "s", "1"}) == error("ERR value is not a valid float"));
}

TEST_CASE("INCRBYFLOAT keeps the TTL and starts an expired key from zero", "[string]") {
  CommandFixture db;
  db.put("t", "1.5", db.now_ms() + 10'000);
  CHECK(db.run({"INCRBYFLOAT", "t", "1"}) == bulk("2.5"));
  CHECK(db.stored_expiry("t") == db.now_ms() + 10'000);
  db.put("old", "100", db.now_ms() + 1000);
  db.advance_ms(1000);
  CHECK(db.run({"INCRBYFLOAT", "old", "1.25"}) == bulk("1.25"));
  CHECK(db.stored_expiry("old") == 0u);
}

// ---- MGET / MSET ----

TEST_CASE("MGET replies nil for each missing key, in argument order", "[string]") {
  CommandFixture db;
  db.run({"SET", "a", "1"});
  db.run({"SET", "c", "3"});
  CHECK(db.run({"MGET", "a", "b", "c", "a", std::string(512, 'k')}) ==
        array({bulk("1"), kNil, bulk("3"), bulk("1"), kNil}));
}

TEST_CASE("MSET sets every pair and a repeated key keeps the last value", "[string]") {
  CommandFixture db;
  CHECK(db.run({"MSET", "a", "1", "b", "2", "a", "3"}) == kOk);
  CHECK(db.run({"MGET", "a", "b"}) == array({bulk("3"), bulk("2")}));
}

TEST_CASE("MSET with an odd number of arguments is a wrong-arity error", "[string]") {
  CommandFixture db;
  const std::string arity = error("ERR wrong number of arguments for 'mset' command");
  CHECK(db.run({"MSET", "a"}) == arity);
  CHECK(db.run({"MSET", "a", "1", "b"}) == arity);
  CHECK(db.run({"DBSIZE"}) == integer(0));
}

TEST_CASE("MSETNX sets every pair only when none of the keys exists", "[string]") {
  CommandFixture db;
  CHECK(db.run({"MSETNX", "a", "1", "b", "2", "a", "3"}) == integer(1));
  CHECK(db.run({"MGET", "a", "b"}) == array({bulk("3"), bulk("2")}));
  CHECK(db.run({"MSETNX", "c", "1", "b", "9"}) == integer(0));
  CHECK(db.run({"MGET", "b", "c"}) == array({bulk("2"), kNil}));
  CHECK(db.run({"MSETNX", "a"}) == error("ERR wrong number of arguments for 'msetnx' command"));
}

TEST_CASE("MSETNX counts an expired key as absent and sets it without a TTL", "[string]") {
  CommandFixture db;
  db.put("old", "v", db.now_ms() + 1000);
  db.advance_ms(1000);
  CHECK(db.run({"MSETNX", "old", "new", "other", "x"}) == integer(1));
  CHECK(db.stored_payload("old") == "new");
  CHECK(db.stored_expiry("old") == 0u);
}

// ---- key length ----

TEST_CASE("a 510-byte key works with every string command", "[string][keys]") {
  CommandFixture db;
  const std::string key(510, 'k');
  CHECK(db.run({"SET", key, "v"}) == kOk);
  CHECK(db.run({"GET", key}) == bulk("v"));
  CHECK(db.run({"APPEND", key, "w"}) == integer(2));
  CHECK(db.run({"MSET", key, "1"}) == kOk);
  CHECK(db.run({"INCR", key}) == integer(2));
  CHECK(db.run({"GETDEL", key}) == bulk("2"));
}

TEST_CASE("a 511-byte key is refused by writes and absent for reads", "[string][keys]") {
  CommandFixture db;
  const std::string key(511, 'k');
  const std::string& refused = kKeyTooLong;
  CHECK(db.run({"SET", key, "v"}) == refused);
  CHECK(db.run({"SETNX", key, "v"}) == refused);
  CHECK(db.run({"GETSET", key, "v"}) == refused);
  CHECK(db.run({"APPEND", key, "v"}) == refused);
  CHECK(db.run({"INCR", key}) == refused);
  CHECK(db.run({"INCRBY", key, "1"}) == refused);
  CHECK(db.run({"INCRBYFLOAT", key, "1"}) == refused);
  CHECK(db.run({"GETDEL", key}) == refused);
  CHECK(db.run({"MSET", "ok", "1", key, "v"}) == refused);
  CHECK(db.run({"MSETNX", "ok", "1", key, "v"}) == refused);
  CHECK(db.run({"SETRANGE", key, "0", "v"}) == refused);
  CHECK(db.run({"GETRANGE", key, "0", "-1"}) == bulk(""));
  CHECK(db.run({"GET", key}) == kNil);
  CHECK(db.run({"STRLEN", key}) == integer(0));
  CHECK(db.run({"DEL", key}) == integer(0));
  CHECK(db.run({"DBSIZE"}) == integer(0));
}
