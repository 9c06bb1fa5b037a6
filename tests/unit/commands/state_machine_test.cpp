// Tests for StateMachine::apply_batch: ops applied in order with one reply each, the applied
// index written in the caller's transaction (so it commits or aborts with the data),
// database numbers checked against the range the batch carries, and every batch this build
// cannot apply as its leader did (a newer format, an unknown or malformed op, damage)
// refused whole with UnappliableBatch: never skipped, never a crash; and ops applied in one
// batch (whose puts share a cursor) leave the store as the same ops one per batch do.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "kernel/commands/reply.h"
#include "kernel/commands/unappliable_batch.h"
#include "tests/unit/commands/command_fixture.h"

using namespace std::string_literals;
using keepdb::commands::OpBatchBuilder;
using keepdb::commands::OpBatchReader;
using keepdb::commands::Reply;
using keepdb::commands::UnappliableBatch;
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

TEST_CASE("state machine: an op it must not apply refuses the whole batch, naming the op",
          "[state_machine]") {
  const std::string long_key(512, 'k');
  const std::vector<std::pair<std::vector<std::string_view>, std::string>> refused = {
      {{"NOSUCHCOMMAND", "x"}, "op 2 of 3 is 'NOSUCHCOMMAND' with 1 argument(s)"},
      {{"GET", "k"}, "'GET' with 1 argument(s)"},  // a read, never proposed
      {{"PING"}, "'PING' with 0 argument(s)"},     // not a write either
      {{"SET", "k"}, "'SET' with 1 argument(s)"},  // wrong arity
      {{"SET", "k", "v", "NX", "XX"}, "'SET' with 4 argument(s)"},  // invalid
      {{"SET", long_key, "v"}, "'SET' with 2 argument(s)"},
      {{"MSET", "a", "1", "b"}, "'MSET' with 3 argument(s)"}};
  for (const auto& [op, text] : refused) {
    CAPTURE(text);
    CommandFixture db;
    try {
      db.apply_batch(encode({{"SET", "before", "1"}, op, {"SET", "after", "1"}}));
      FAIL("applied");
    } catch (const UnappliableBatch& e) {
      CHECK_THAT(e.what(), Catch::Contains(text) &&
                               Catch::Contains("not a write this build applies"));
    }
    // The fixture's transaction aborted: neither the op before nor the index survive.
    CHECK(db.run({"DBSIZE"}) == integer(0));
    CHECK(db.applied_index() == 0);
  }
}

TEST_CASE("state machine: a long unknown command name is cut in the refusal",
          "[state_machine]") {
  CommandFixture db;
  const std::string name(1000, 'n');
  CHECK_THROWS_WITH(db.apply_batch(encode({{name}})),
                    Catch::Contains("'" + name.substr(0, 64) + "...(936 more bytes)'"));
}

TEST_CASE("state machine: a header it cannot read refuses the batch and says why",
          "[state_machine]") {
  CommandFixture db;
  CHECK_THROWS_WITH(db.apply_batch(""), "an empty write batch");
  std::string newer = encode({{"SET", "k", "v"}});
  newer[0] = static_cast<char>(keepdb::commands::kOpBatchVersion + 1);
  CHECK_THROWS_WITH(db.apply_batch(newer),
                    "a write batch of format version 5, and this build reads versions 1 to 4");
  for (const std::string& batch : {"\x01"s, "\x02\x01\x00\x00\x00"s, "\x01\xff\xff\xff\xff"s,
                                   "\x01\xff\xff\xff\xff" + std::string(64, '\x03')}) {
    CAPTURE(batch);
    CHECK_THROWS_AS(db.apply_batch(batch), UnappliableBatch);
  }
  CHECK(db.run({"DBSIZE"}) == integer(0));
}

TEST_CASE("state machine: every truncation of a batch is refused whole", "[state_machine]") {
  const std::string batch = encode({{"SET", "a", "1"}, {"SET", "b", "2"}, {"INCR", "a"}});
  for (std::size_t length = 0; length < batch.size(); ++length) {
    CAPTURE(length);
    CommandFixture db;
    CHECK_THROWS_AS(db.apply_batch(batch.substr(0, length)), UnappliableBatch);
    CHECK(db.run({"DBSIZE"}) == integer(0));
  }
  CommandFixture db;
  CHECK(rendered(db.apply_batch(batch)) == std::vector{kOk, kOk, integer(2)});
}

TEST_CASE("state machine: random garbage batches are applied whole or refused, never crash",
          "[state_machine]") {
  std::mt19937 random(99);
  const std::string valid = encode(
      {{"SET", "k", "v"}, {"INCRBY", "n", "5"}, {"DEL", "k"}, {"APPEND", "k", "x"}, {"FLUSHDB"}});
  std::size_t refused = 0;
  for (int i = 0; i < 1000; ++i) {
    CommandFixture db;
    std::string garbage = valid;
    for (int flips = 1 + static_cast<int>(random() % 6); flips > 0; --flips) {
      garbage[random() % garbage.size()] = static_cast<char>(random());
    }
    try {
      const auto replies = db.apply_batch(garbage);
      CHECK(replies.size() == OpBatchReader(garbage).count().value());
    } catch (const UnappliableBatch&) {
      ++refused;
      CHECK(db.applied_index() == 0);
    }
  }
  CHECK(refused > 0);
}

TEST_CASE("state machine: ops applied in one batch leave what they leave applied one by one",
          "[state_machine]") {
  // A batch's puts share one cursor (KvStore::put_cursor) while its other ops delete,
  // rename, move, swap and empty databases under it: the store must end as if every op
  // had its own batch, and so its own cursor.
  std::mt19937 random(2026);
  const std::vector<std::string> keys{"a", "b", "c", "key:000001", "key:000002", "k3", "k4"};
  std::size_t stored = 0;  // keys present at the end of a round, over all rounds
  for (int round = 0; round < 200; ++round) {
    std::vector<std::vector<std::string>> ops;
    for (int i = 0; i < 40; ++i) {
      const std::string& key = keys[random() % keys.size()];
      const std::string& other = keys[random() % keys.size()];
      const std::string value(1 + random() % 300, static_cast<char>('a' + random() % 26));
      switch (random() % 12) {
        case 0: ops.push_back({"DEL", key}); break;
        case 1: ops.push_back({"RENAME", key, other}); break;
        case 2: ops.push_back({"MOVE", key, "1"}); break;
        case 3: ops.push_back({"SWAPDB", "0", "1"}); break;
        case 4: ops.push_back({"FLUSHDB"}); break;
        case 5: ops.push_back({"SET", key, value, "EX", "100"}); break;
        case 6: ops.push_back({"APPEND", key, value}); break;
        case 7: ops.push_back({"COPY", key, other, "DB", "1"}); break;
        default: ops.push_back({"SET", key, value}); break;
      }
    }
    CommandFixture together;
    CommandFixture apart;
    OpBatchBuilder builder;
    for (const auto& op : ops) {
      const std::vector<std::string_view> args(op.begin(), op.end());
      builder.add(args);
      OpBatchBuilder one;
      one.add(args);
      apart.apply_batch(one.take(1'700'000'000'000));
    }
    together.apply_batch(builder.take(1'700'000'000'000));
    for (const keepdb::storage::Db db : {keepdb::storage::Db{0}, keepdb::storage::Db{1}}) {
      for (const std::string& key : keys) {
        INFO("round " << round << ", db " << static_cast<int>(db) << ", key " << key);
        const auto payload = together.stored_payload(key, db);
        CHECK(payload == apart.stored_payload(key, db));
        if (payload) ++stored;
      }
    }
    CHECK(together.run({"DBSIZE"}) == apart.run({"DBSIZE"}));
  }
  CHECK(stored > 200);  // the ops left something to compare
}
