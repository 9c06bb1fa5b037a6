// Tests for StateMachine::apply_batch: ops applied in order with one reply each, the applied
// index written in the caller's transaction (so it commits or aborts with the data), and
// damaged or hostile batches answered with error replies instead of crashes, and database
// numbers checked against the range the batch carries.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "kernel/commands/reply.h"
#include "tests/unit/commands/command_fixture.h"

using namespace std::string_literals;
using keepdb::commands::OpBatchBuilder;
using keepdb::commands::OpBatchReader;
using keepdb::commands::Reply;
using keepdb::test::CommandFixture;
using namespace keepdb::test::resp2;

namespace {

std::string encode(const std::vector<std::vector<std::string_view>>& ops,
                   std::uint64_t time_ms = 1'700'000'000'000) {
  OpBatchBuilder builder;
  for (const auto& op : ops) builder.add(op);
  return builder.take(time_ms);
}

// Each reply rendered as RESP2 bytes.
std::vector<std::string> rendered(const std::vector<Reply>& replies) {
  std::vector<std::string> out;
  for (const Reply& reply : replies) {
    std::string bytes;
    keepdb::resp::ReplyWriter writer(bytes, keepdb::resp::Protocol::kResp2);
    reply.write_to(writer);
    out.push_back(std::move(bytes));
  }
  return out;
}

const std::string kCorrupt = error("ERR corrupt write batch");

}  // namespace

TEST_CASE("state machine: a batch applies its ops in order, one reply per op", "[state_machine]") {
  CommandFixture db;
  const auto replies = db.apply_batch(encode({{"SET", "k", "1"},
                                              {"INCR", "k"},
                                              {"GETSET", "k", "x"},
                                              {"INCR", "k"},
                                              {"DEL", "k", "k"},
                                              {"SETNX", "k", "again"}}));
  CHECK(rendered(replies) == std::vector{kOk, integer(2), bulk("2"),
                                         error("ERR value is not an integer or out of range"),
                                         integer(1), integer(1)});
  CHECK(db.stored_payload("k") == "again");
}

TEST_CASE("state machine: database numbers are checked against the batch's databases, not the "
          "node's",
          "[state_machine][db]") {
  CommandFixture db;  // its state machine's own storage.databases is 16
  OpBatchBuilder four(4);
  for (const std::vector<std::string_view>& op :
       std::vector<std::vector<std::string_view>>{{"SET", "k", "v"},
                                                  {"MOVE", "k", "5"},
                                                  {"SWAPDB", "0", "9"},
                                                  {"COPY", "k", "k2", "DB", "7"},
                                                  {"MOVE", "k", "3"}}) {
    four.add(op);
  }
  const std::string range = error("ERR DB index is out of range");
  CHECK(rendered(db.apply_batch(four.take(1))) ==
        std::vector{kOk, range, range, range, integer(1)});
  CHECK(db.stored_payload("k", 3) == "v");
  OpBatchBuilder all(256);
  const std::vector<std::string_view> move = {"MOVE", "k", "200"};
  all.add(move, 3);
  CHECK(rendered(db.apply_batch(all.take(2))) == std::vector{integer(1)});
  CHECK(db.stored_payload("k", 200) == "v");
}

TEST_CASE("state machine: the applied index is written in the same transaction",
          "[state_machine]") {
  CommandFixture db;
  const std::string batch = encode({{"SET", "k", "v"}});
  {
    keepdb::storage::WriteTxn aborted(db.env());
    db.state_machine().apply_batch(aborted.get(), batch, 41);
    CHECK(db.kv().applied_index(aborted.get()) == 41);
  }  // aborted: neither the key nor the index may survive
  CHECK(db.applied_index() == 0);
  CHECK_FALSE(db.stored_payload("k"));
  keepdb::storage::WriteTxn committed(db.env());
  db.state_machine().apply_batch(committed.get(), batch, 42);
  committed.commit();
  CHECK(db.applied_index() == 42);
  CHECK(db.stored_payload("k") == "v");
}

TEST_CASE("state machine: an empty batch still records its index", "[state_machine]") {
  CommandFixture db;
  CHECK(db.apply_batch(encode({})).empty());
  CHECK(db.applied_index() == 1);
}

TEST_CASE("state machine: ops it must not apply get error replies, the others still apply",
          "[state_machine]") {
  CommandFixture db;
  const std::string long_key(512, 'k');
  const auto replies = db.apply_batch(encode({{"NOSUCHCOMMAND", "x"},
                                              {"GET", "k"},  // a read, never proposed
                                              {"PING"},      // not a write either
                                              {"SET", "k"},  // wrong arity
                                              {"SET", "k", "v", "NX", "XX"},  // invalid
                                              {"SET", long_key, "v"},
                                              {"MSET", "a", "1", "b"},
                                              {"SET", "ok", "yes"}}));
  CHECK(rendered(replies) ==
        std::vector{error("ERR cannot apply 'NOSUCHCOMMAND'"), error("ERR cannot apply 'GET'"),
                    error("ERR cannot apply 'PING'"), error("ERR cannot apply 'SET'"),
                    error("ERR cannot apply 'SET'"), error("ERR cannot apply 'SET'"),
                    error("ERR cannot apply 'MSET'"), kOk});
  CHECK(db.run({"DBSIZE"}) == integer(1));
}

TEST_CASE("state machine: a long unknown command name is cut in the error", "[state_machine]") {
  CommandFixture db;
  const std::string name(1000, 'n');
  CHECK(rendered(db.apply_batch(encode({{name}}))) ==
        std::vector{error("ERR cannot apply '" + name.substr(0, 64) + "'")});
}

TEST_CASE("state machine: garbage headers yield no replies and apply nothing", "[state_machine]") {
  CommandFixture db;
  for (const std::string& batch : {""s, "\x01"s, "\x02\x01\x00\x00\x00"s, "\x01\xff\xff\xff\xff"s,
                                   "\x01\xff\xff\xff\xff" + std::string(64, '\x03')}) {
    CAPTURE(batch);
    CHECK(db.apply_batch(batch).empty());
  }
  CHECK(db.run({"DBSIZE"}) == integer(0));
}

TEST_CASE(
    "state machine: every truncation of a batch applies its intact prefix and answers "
    "the rest with errors",
    "[state_machine]") {
  const std::string batch = encode({{"SET", "a", "1"}, {"SET", "b", "2"}, {"INCR", "a"}});
  const std::size_t declared = OpBatchReader(batch).count().value();
  for (std::size_t length = 0; length < batch.size(); ++length) {
    CAPTURE(length);
    CommandFixture db;
    const auto replies = rendered(db.apply_batch(batch.substr(0, length)));
    REQUIRE(replies.size() <= declared);
    std::size_t applied = 0;
    while (applied < replies.size() && replies[applied] != kCorrupt) ++applied;
    for (std::size_t i = applied; i < replies.size(); ++i) CHECK(replies[i] == kCorrupt);
    CHECK(db.run({"DBSIZE"}) ==
          integer(static_cast<std::int64_t>(std::min<std::size_t>(applied, 2))));
  }
}

TEST_CASE("state machine: random garbage batches never crash", "[state_machine]") {
  CommandFixture db;
  std::mt19937 random(99);
  const std::string valid = encode(
      {{"SET", "k", "v"}, {"INCRBY", "n", "5"}, {"DEL", "k"}, {"APPEND", "k", "x"}, {"FLUSHDB"}});
  for (int i = 0; i < 3000; ++i) {
    std::string garbage = valid;
    for (int flips = 1 + static_cast<int>(random() % 6); flips > 0; --flips) {
      garbage[random() % garbage.size()] = static_cast<char>(random());
    }
    const auto replies = db.apply_batch(garbage);
    CHECK(replies.size() <= OpBatchReader(garbage).count().value_or(0));
  }
}
