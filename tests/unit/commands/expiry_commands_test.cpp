// Tests for expiry: SET EX/PX/EXAT/PXAT, SETEX PSETEX GETEX, EXPIRE PEXPIRE EXPIREAT PEXPIREAT
// with NX XX GT LT, TTL PTTL EXPIRETIME PEXPIRETIME and PERSIST. Deadlines come from the batch
// time (the fixture's clock when it builds the one-op batch); an expired key is absent to
// every read and every write; the state machine clock never runs backwards; the internal
// keepdb.expired op erases only what has expired. Error replies are Redis 7's bytes
// (tests/testdata/integration also checks them against a real redis-server).
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "tests/unit/commands/command_fixture.h"

using namespace std::string_literals;
using keepdb::commands::OpBatchBuilder;
using keepdb::test::CommandFixture;
using namespace keepdb::test::resp2;

namespace {

const std::string kNotInteger = error("ERR value is not an integer or out of range");
const std::string kSyntax = error("ERR syntax error");

std::string invalid_expire_time(std::string_view command) {
  return error("ERR invalid expire time in '" + std::string(command) + "' command");
}

// One batch of `ops` stamped with `time_ms`.
std::string batch_at(std::uint64_t time_ms, const std::vector<std::vector<std::string_view>>& ops) {
  OpBatchBuilder builder;
  for (const auto& op : ops) builder.add(op);
  return builder.take(time_ms);
}

}  // namespace

// ---- setting deadlines ----

TEST_CASE("SET EX PX EXAT PXAT store the deadline the batch time gives", "[expiry]") {
  CommandFixture db;
  const std::uint64_t now = db.now_ms();
  CHECK(db.run({"SET", "k", "v", "EX", "10"}) == kOk);
  CHECK(db.stored_expiry("k") == now + 10'000);
  CHECK(db.run({"SET", "k", "v", "px", "1500"}) == kOk);
  CHECK(db.stored_expiry("k") == now + 1'500);
  CHECK(db.run({"SET", "k", "v", "EXAT", "4102444800"}) == kOk);
  CHECK(db.stored_expiry("k") == 4'102'444'800'000);
  CHECK(db.run({"SET", "k", "v", "PXAT", "4102444800123"}) == kOk);
  CHECK(db.stored_expiry("k") == 4'102'444'800'123);
  CHECK(db.run({"SET", "k", "v", "EX", "5", "EX", "7"}) == kOk);  // the last one wins
  CHECK(db.stored_expiry("k") == now + 7'000);
}

TEST_CASE("SETEX and PSETEX set a value with a relative deadline", "[expiry]") {
  CommandFixture db;
  CHECK(db.run({"SETEX", "k", "100", "v"}) == kOk);
  CHECK(db.stored_expiry("k") == db.now_ms() + 100'000);
  CHECK(db.run({"PSETEX", "k", "250", "w"}) == kOk);
  CHECK(db.stored_expiry("k") == db.now_ms() + 250);
  CHECK(db.run({"GET", "k"}) == bulk("w"));
}

TEST_CASE("EXPIRE PEXPIRE EXPIREAT PEXPIREAT set deadlines on existing keys only", "[expiry]") {
  CommandFixture db;
  CHECK(db.run({"EXPIRE", "missing", "10"}) == integer(0));
  CHECK_FALSE(db.stored_payload("missing"));
  db.run({"SET", "k", "v"});
  CHECK(db.run({"EXPIRE", "k", "10"}) == integer(1));
  CHECK(db.stored_expiry("k") == db.now_ms() + 10'000);
  CHECK(db.run({"PEXPIRE", "k", "20"}) == integer(1));
  CHECK(db.stored_expiry("k") == db.now_ms() + 20);
  CHECK(db.run({"EXPIREAT", "k", "4102444800"}) == integer(1));
  CHECK(db.stored_expiry("k") == 4'102'444'800'000);
  CHECK(db.run({"PEXPIREAT", "k", "9223372036854775807"}) == integer(1));
  CHECK(db.stored_expiry("k") == 9'223'372'036'854'775'807u);
  CHECK(db.stored_payload("k") == "v");
}

TEST_CASE("a deadline already past deletes the key", "[expiry]") {
  CommandFixture db;
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"EXPIRE", "k", "-1"},
        {"PEXPIRE", "k", "0"},
        {"EXPIREAT", "k", "-5"},
        {"PEXPIREAT", "k", std::to_string(db.now_ms())}}) {
    CAPTURE(command);
    db.run({"SET", "k", "v"});
    CHECK(db.run(command) == integer(1));
    CHECK_FALSE(db.stored_payload("k"));
  }
  db.run({"SET", "k", "old"});
  CHECK(db.run({"SET", "k", "v", "PXAT", "1"}) == kOk);
  CHECK_FALSE(db.stored_payload("k"));
  db.run({"SET", "k", "old"});
  CHECK(db.run({"SET", "k", "v", "GET", "EXAT", "1"}) == bulk("old"));
  CHECK_FALSE(db.stored_payload("k"));
}

TEST_CASE("EXPIRE NX XX GT LT compare with the current deadline, none being infinite", "[expiry]") {
  CommandFixture db;
  db.run({"SET", "persistent", "v"});
  CHECK(db.run({"EXPIRE", "persistent", "10", "XX"}) == integer(0));
  CHECK(db.run({"EXPIRE", "persistent", "10", "GT"}) == integer(0));
  CHECK(db.stored_expiry("persistent") == 0u);
  CHECK(db.run({"EXPIRE", "persistent", "100", "LT"}) == integer(1));
  CHECK(db.run({"EXPIRE", "persistent", "10", "NX"}) == integer(0));
  CHECK(db.run({"EXPIRE", "persistent", "50", "GT"}) == integer(0));
  CHECK(db.run({"EXPIRE", "persistent", "200", "gt"}) == integer(1));
  CHECK(db.run({"EXPIRE", "persistent", "200", "GT"}) == integer(0));  // not greater
  CHECK(db.run({"EXPIRE", "persistent", "300", "LT"}) == integer(0));
  CHECK(db.run({"EXPIRE", "persistent", "150", "LT", "XX"}) == integer(1));
  CHECK(db.stored_expiry("persistent") == db.now_ms() + 150'000);
  db.run({"SET", "fresh", "v"});
  CHECK(db.run({"EXPIRE", "fresh", "10", "NX"}) == integer(1));
  CHECK(db.run({"PEXPIRE", "fresh", "-1", "NX"}) == integer(0));
  CHECK(db.stored_payload("fresh") == "v");
}

TEST_CASE("PERSIST removes a deadline and says whether there was one", "[expiry]") {
  CommandFixture db;
  CHECK(db.run({"PERSIST", "missing"}) == integer(0));
  db.run({"SET", "k", "v", "EX", "10"});
  CHECK(db.run({"PERSIST", "k"}) == integer(1));
  CHECK(db.stored_expiry("k") == 0u);
  CHECK(db.run({"PERSIST", "k"}) == integer(0));
  CHECK(db.run({"GET", "k"}) == bulk("v"));
}

TEST_CASE("GETEX returns the value and sets or removes its deadline", "[expiry]") {
  CommandFixture db;
  CHECK(db.run({"GETEX", "missing", "EX", "0"}) == kNil);  // as Redis: no key, no time check
  db.run({"SET", "k", "v"});
  CHECK(db.run({"GETEX", "k"}) == bulk("v"));
  CHECK(db.stored_expiry("k") == 0u);
  CHECK(db.run({"GETEX", "k", "PX", "500"}) == bulk("v"));
  CHECK(db.stored_expiry("k") == db.now_ms() + 500);
  CHECK(db.run({"GETEX", "k", "PERSIST"}) == bulk("v"));
  CHECK(db.stored_expiry("k") == 0u);
  CHECK(db.run({"GETEX", "k", "EX", "0"}) == invalid_expire_time("getex"));
  CHECK(db.run({"GETEX", "k", "EXAT", "1"}) == bulk("v"));
  CHECK_FALSE(db.stored_payload("k"));
}

// ---- reading deadlines ----

TEST_CASE("TTL PTTL EXPIRETIME PEXPIRETIME: -2 missing, -1 persistent, rounded seconds",
          "[expiry]") {
  CommandFixture db;
  CHECK(db.run({"TTL", "missing"}) == integer(-2));
  CHECK(db.run({"PEXPIRETIME", "missing"}) == integer(-2));
  db.run({"SET", "persistent", "v"});
  CHECK(db.run({"PTTL", "persistent"}) == integer(-1));
  CHECK(db.run({"EXPIRETIME", "persistent"}) == integer(-1));
  db.run({"SET", "k", "v", "PX", "1500"});
  CHECK(db.run({"PTTL", "k"}) == integer(1500));
  CHECK(db.run({"TTL", "k"}) == integer(2));  // 1.5 s rounds up, as Redis
  db.advance_ms(600);
  CHECK(db.run({"PTTL", "k"}) == integer(900));
  CHECK(db.run({"TTL", "k"}) == integer(1));
  const std::uint64_t deadline = db.now_ms() + 900;
  CHECK(db.run({"PEXPIRETIME", "k"}) == integer(static_cast<std::int64_t>(deadline)));
  CHECK(db.run({"EXPIRETIME", "k"}) == integer(static_cast<std::int64_t>((deadline + 500) / 1000)));
}

// ---- expired keys are gone ----

TEST_CASE("an expired key is absent to every read, from its deadline on", "[expiry]") {
  CommandFixture db;
  db.run({"SET", "k", "v", "PX", "100"});
  db.run({"SET", "other", "o"});
  db.advance_ms(99);
  CHECK(db.run({"GET", "k"}) == bulk("v"));
  db.advance_ms(1);
  CHECK(db.run({"GET", "k"}) == kNil);
  CHECK(db.run({"STRLEN", "k"}) == integer(0));
  CHECK(db.run({"EXISTS", "k", "other"}) == integer(1));
  CHECK(db.run({"MGET", "k", "other"}) == array({kNil, bulk("o")}));
  CHECK(db.run({"TTL", "k"}) == integer(-2));
  CHECK(db.run({"PEXPIRETIME", "k"}) == integer(-2));
  CHECK(db.run({"SCAN", "0"}) == array({bulk("0"), array({bulk("other")})}));
  // DBSIZE counts stored keys, as Redis does until the key is reclaimed.
  CHECK(db.run({"DBSIZE"}) == integer(2));
}

TEST_CASE("an expired key is absent to every write, which erases it", "[expiry]") {
  CommandFixture db;
  const auto expired = [&db](std::string_view payload) {
    db.put("k", payload, db.now_ms());  // deadline == now: expired
  };
  expired("old");
  CHECK(db.run({"SET", "k", "v", "XX"}) == kNil);
  CHECK_FALSE(db.stored_payload("k"));
  expired("old");
  CHECK(db.run({"SETNX", "k", "new"}) == integer(1));
  CHECK(db.stored_expiry("k") == 0u);
  expired("41");
  CHECK(db.run({"INCR", "k"}) == integer(1));
  CHECK(db.stored_expiry("k") == 0u);
  expired("old");
  CHECK(db.run({"APPEND", "k", "x"}) == integer(1));
  expired("old");
  CHECK(db.run({"GETSET", "k", "x"}) == kNil);
  expired("old");
  CHECK(db.run({"GETDEL", "k"}) == kNil);
  expired("old");
  CHECK(db.run({"DEL", "k"}) == integer(0));
  CHECK_FALSE(db.stored_payload("k"));
  expired("old");
  CHECK(db.run({"EXPIRE", "k", "100"}) == integer(0));
  expired("old");
  CHECK(db.run({"PERSIST", "k"}) == integer(0));
  expired("old");
  CHECK(db.run({"GETEX", "k", "PERSIST"}) == kNil);
  CHECK_FALSE(db.stored_payload("k"));
}

// SET without NX, XX, GET or KEEPTTL does not read the old record: it overwrites the
// expired one, and the key count, the count of keys with a deadline and the expiry index
// end as if the expired key had been erased first.
TEST_CASE("a plain SET over an expired key leaves exact counts and expiry index", "[expiry]") {
  CommandFixture db;
  db.put("k", "old", db.now_ms());  // deadline == now: expired
  CHECK(db.run({"SET", "k", "v"}) == kOk);
  CHECK(db.stored_payload("k") == "v");
  CHECK(db.stored_expiry("k") == 0u);
  CHECK(db.run({"DBSIZE"}) == integer(1));
  db.put("k", "old", db.now_ms());
  CHECK(db.run({"SET", "k", "v", "PX", "500"}) == kOk);
  CHECK(db.stored_expiry("k") == db.now_ms() + 500);
  CHECK(db.run({"DBSIZE"}) == integer(1));
  db.put("k", "old", db.now_ms());
  CHECK(db.run({"SET", "k", "v", "KEEPTTL"}) == kOk);  // KEEPTTL reads it: expired, none kept
  CHECK(db.stored_expiry("k") == 0u);
  db.put("k", "old", db.now_ms());
  CHECK(db.run({"SET", "k", "v", "PXAT", std::to_string(db.now_ms() - 1)}) == kOk);
  CHECK_FALSE(db.stored_payload("k"));
  CHECK(db.run({"DBSIZE"}) == integer(0));
  keepdb::storage::ReadTxn txn(db.env());
  txn.begin();
  CHECK(db.kv().volatile_keys(txn.get(), 0) == 0);
  CHECK(db.kv().keys_due(txn.get(), db.now_ms() + 1000, 10).empty());
}

TEST_CASE("which writes keep a deadline and which clear it", "[expiry]") {
  CommandFixture db;
  const std::uint64_t deadline = db.now_ms() + 100'000;
  const auto with_deadline = [&] { db.put("k", "10", deadline); };
  with_deadline();
  db.run({"INCR", "k"});
  CHECK(db.stored_expiry("k") == deadline);
  db.run({"APPEND", "k", "0"});
  CHECK(db.stored_expiry("k") == deadline);
  db.run({"SET", "k", "v", "KEEPTTL"});
  CHECK(db.stored_expiry("k") == deadline);
  db.run({"SET", "k", "v"});
  CHECK(db.stored_expiry("k") == 0u);
  with_deadline();
  db.run({"GETSET", "k", "v"});
  CHECK(db.stored_expiry("k") == 0u);
  with_deadline();
  db.run({"MSET", "k", "v"});
  CHECK(db.stored_expiry("k") == 0u);
  with_deadline();
  CHECK(db.run({"SETNX", "k", "v"}) == integer(0));
  CHECK(db.stored_expiry("k") == deadline);
}

// ---- errors, as Redis words them ----

TEST_CASE("bad expiry arguments get Redis's errors and change nothing", "[expiry]") {
  CommandFixture db;
  db.run({"SET", "k", "v"});
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"SET", "k", "x", "EX", "0"}, invalid_expire_time("set")},
      {{"SET", "k", "x", "PX", "-5"}, invalid_expire_time("set")},
      {{"SET", "k", "x", "EXAT", "0"}, invalid_expire_time("set")},
      {{"SET", "k", "x", "EX", "abc"}, kNotInteger},
      {{"SET", "k", "x", "EX", "9223372036854775"}, invalid_expire_time("set")},
      {{"SET", "k", "x", "PX", "9223372036854775807"}, invalid_expire_time("set")},
      {{"SET", "k", "x", "EX", "10", "PX", "100"}, kSyntax},
      {{"SET", "k", "x", "KEEPTTL", "EX", "5"}, kSyntax},
      {{"SET", "k", "x", "EX", "5", "KEEPTTL"}, kSyntax},
      {{"SET", "k", "x", "EX"}, kSyntax},
      {{"SET", "k", "x", "PERSIST"}, kSyntax},
      {{"SETEX", "k", "0", "x"}, invalid_expire_time("setex")},
      {{"SETEX", "k", "abc", "x"}, kNotInteger},
      {{"PSETEX", "k", "-1", "x"}, invalid_expire_time("psetex")},
      {{"GETEX", "k", "FOO"}, kSyntax},
      {{"GETEX", "k", "EX"}, kSyntax},
      {{"GETEX", "k", "PERSIST", "EX", "5"}, kSyntax},
      {{"GETEX", "k", "EX", "abc"}, kNotInteger},
      {{"EXPIRE", "k", "10", "NX", "XX"},
       error("ERR NX and XX, GT or LT options at the same time are not compatible")},
      {{"EXPIRE", "k", "10", "GT", "LT"},
       error("ERR GT and LT options at the same time are not compatible")},
      {{"EXPIRE", "k", "abc", "FOO"}, error("ERR Unsupported option FOO")},
      {{"EXPIRE", "k", "abc"}, kNotInteger},
      {{"EXPIRE", "k", "9223372036854775808"}, kNotInteger},
      {{"EXPIRE", "k", "9223372036854775"}, invalid_expire_time("expire")},
      {{"PEXPIRE", "k", "9223372036854775807"}, invalid_expire_time("pexpire")},
      {{"EXPIREAT", "k", "9223372036854776"}, invalid_expire_time("expireat")},
      {{"EXPIRE", "k"}, error("ERR wrong number of arguments for 'expire' command")},
      {{"TTL", "k", "x"}, error("ERR wrong number of arguments for 'ttl' command")},
  };
  for (const auto& [command, reply] : cases) {
    CAPTURE(command);
    CHECK(db.run(command) == reply);
  }
  CHECK(db.stored_payload("k") == "v");
  CHECK(db.stored_expiry("k") == 0u);
}

// ---- the state machine clock ----

TEST_CASE("the state machine clock never runs backwards", "[expiry]") {
  CommandFixture db;
  db.apply_batch(batch_at(5'000'000, {{"SET", "a", "v", "PX", "100"}}));
  CHECK(db.stored_expiry("a") == 5'000'100u);
  // A batch stamped earlier (a new leader whose clock is behind) applies at the later time.
  db.apply_batch(batch_at(4'000'000, {{"SET", "b", "v", "PX", "100"}}));
  CHECK(db.stored_expiry("b") == 5'000'100u);
  // And expiry decisions use it: "a" is not yet expired at 5'000'099.
  db.apply_batch(batch_at(5'000'099, {{"SET", "a", "x", "XX"}}));
  CHECK(db.stored_payload("a") == "x");
}

TEST_CASE("the same batches give the same store whatever the applying server's clock", "[expiry]") {
  CommandFixture first;
  CommandFixture second;
  first.set_now_ms(1);
  second.set_now_ms(9'000'000'000'000);
  const std::vector<std::string> batches = {
      batch_at(1'000, {{"SET", "a", "1", "EX", "1"}, {"SET", "b", "2", "PX", "10"}}),
      batch_at(1'005, {{"EXPIRE", "a", "3", "GT"}, {"INCR", "b"}}),
      batch_at(1'020, {{"SETNX", "b", "fresh"}, {"keepdb.expired", "a", "b"}}),
  };
  for (const std::string& batch : batches) {
    CHECK(first.apply_batch(batch).size() == second.apply_batch(batch).size());
  }
  for (CommandFixture* db : {&first, &second}) {
    CHECK(db->stored_expiry("a") == 4'005u);
    CHECK(db->stored_payload("b") == "fresh");
    CHECK(db->stored_expiry("b") == 0u);
  }
}

// ---- internal ops ----

TEST_CASE("keepdb.expired erases only keys expired at the batch time", "[expiry]") {
  CommandFixture db;
  db.put("due", "v", 1'000);
  db.put("later", "v", 3'000);
  db.put("persistent", "v");
  const auto replies = db.apply_batch(
      batch_at(2'000, {{"keepdb.expired", "due", "later", "persistent", "missing"}}));
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].integer == 1);
  CHECK_FALSE(db.stored_payload("due"));
  CHECK(db.stored_payload("later") == "v");
  CHECK(db.stored_payload("persistent") == "v");
}

TEST_CASE("clients cannot send the internal keepdb.expired op", "[expiry]") {
  CommandFixture db;
  db.put("k", "v", 1);
  CHECK(db.run({"keepdb.expired", "k"}) ==
        error("ERR unknown command 'keepdb.expired', with args beginning with: 'k' "));
  CHECK(db.stored_payload("k") == "v");
}
