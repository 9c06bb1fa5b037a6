// GroupCommit on the virtual clock, in front of a sink the test completes by hand: one batch
// in flight at a time, replies in request order, the gather window (max_gather_wait) after a
// round of N commands, batch times and databases, stats, and drain.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "kernel/consensus/write/group_commit.h"
#include "tests/unit/consensus/virtual_clock.h"
#include "tests/unit/write/fake_raft.h"
#include "tests/unit/write/write_cluster.h"

using keepdb::commands::Caller;
using keepdb::commands::Reply;
using keepdb::consensus::BatchSink;
using keepdb::consensus::GroupCommit;
using keepdb::consensus::testing::describe_batch;
using keepdb::consensus::testing::describe_reply;
using keepdb::consensus::testing::VirtualExecutor;
using keepdb::consensus::testing::VirtualScheduler;
using namespace std::chrono_literals;

namespace {

constexpr unsigned kDatabases = 5;  // the node's storage.databases, not the default
constexpr std::uint64_t kMaxValueBytes = 4096;  // its limits.max_bulk_bytes, not the default

// Keeps each batch until the test completes it.
class ManualSink final : public BatchSink {
 public:
  struct Batch {
    std::string ops;
    std::vector<Caller> callers;
    Done done;
    std::uint64_t at_us;
  };
  explicit ManualSink(VirtualScheduler& scheduler) : scheduler_(scheduler) {}

  void commit(std::string batch, std::vector<Caller> callers, Done done) override {
    batches.push_back({std::move(batch), std::move(callers), std::move(done), scheduler_.now_us()});
  }
  bool gathers() const override { return gathers_; }
  bool gathers_ = true;
  // Answers batch `i` with one "+OK"-like reply per op: ":<op number in the batch>".
  void complete(std::size_t i) {
    const auto count = keepdb::commands::OpBatchReader(batches.at(i).ops).count().value_or(0);
    std::vector<Reply> replies;
    for (std::uint32_t op = 0; op < count; ++op) replies.push_back(Reply::number(op + 1));
    auto done = std::move(batches.at(i).done);
    done(std::move(replies));
  }

  std::vector<Batch> batches;

 private:
  VirtualScheduler& scheduler_;
};

struct Fixture {
  explicit Fixture(std::chrono::microseconds gather = 1000us)
      : executor(scheduler),
        sink(scheduler),
        group(executor, sink, stats, kDatabases, kMaxValueBytes, gather, [this] { return 1'700'000'000'000 + scheduler.now_ms(); }) {}

  // Proposes "SET <key> v" for client `key`; its reply lands in replies[key].
  void set(const std::string& key) {
    const std::vector<std::string_view> args{"SET", key, "v"};
    group.propose({key, keepdb::commands::kAllRoles}, args,
                  [this, key](const Reply& reply) { replies.push_back(key + " " + describe_reply(reply)); });
  }
  std::string batch(std::size_t i) const { return describe_batch(sink.batches.at(i).ops); }

  VirtualScheduler scheduler;
  VirtualExecutor executor;
  keepdb::commands::ServerStats stats;
  ManualSink sink;
  GroupCommit group;
  std::vector<std::string> replies;
};

}  // namespace

TEST_CASE("a lone write is handed off in the same pass, without waiting", "[group_commit]") {
  Fixture f;
  const std::uint64_t start = f.scheduler.now_us();
  f.set("a");
  CHECK(f.sink.batches.empty());  // posted, never inside propose()
  f.scheduler.run_for_us(0);
  REQUIRE(f.sink.batches.size() == 1);
  CHECK(f.batch(0) == "SET a v");
  CHECK(f.sink.batches[0].at_us == start);
  CHECK(f.sink.batches[0].callers.at(0).principal == "a");
}

TEST_CASE("writes of one event-loop pass share a batch; replies come back in request order",
          "[group_commit]") {
  Fixture f;
  f.set("a");
  f.set("b");
  f.set("c");
  f.scheduler.run_for_us(0);
  REQUIRE(f.sink.batches.size() == 1);
  CHECK(f.batch(0) == "SET a v | SET b v | SET c v");
  f.sink.complete(0);
  CHECK(f.replies == std::vector<std::string>{"a :1", "b :2", "c :3"});
  CHECK(f.stats.write_batches == 1);
  CHECK(f.stats.writes_applied == 3);
}

TEST_CASE("writes that arrive while a batch is in flight form the next batch", "[group_commit]") {
  Fixture f;
  f.set("a");
  f.scheduler.run_for_us(0);
  f.set("b");
  f.set("c");
  f.scheduler.run_for(10);  // however long: one batch in flight at a time
  REQUIRE(f.sink.batches.size() == 1);
  f.sink.complete(0);
  CHECK(f.replies == std::vector<std::string>{"a :1"});
  // Three commands were in play in the last round (a, plus b and c queued behind it), so
  // b and c wait the gather window (1 ms) for a third.
  f.scheduler.run_for_us(999);
  CHECK(f.sink.batches.size() == 1);
  f.scheduler.run_for_us(1);
  REQUIRE(f.sink.batches.size() == 2);
  CHECK(f.batch(1) == "SET b v | SET c v");
  f.sink.complete(1);
  CHECK(f.replies == std::vector<std::string>{"a :1", "b :1", "c :2"});
}

TEST_CASE("a write proposed from a completion goes in the next batch with its own completion",
          "[group_commit]") {
  // The completions of a batch and of the batch forming behind it trade storage from batch
  // to batch: a completion that proposes must not land among the ones being run.
  Fixture f;
  f.sink.gathers_ = false;
  for (int round = 0; round < 3; ++round) {
    const std::vector<std::string_view> args{"SET", "k", "v"};
    f.group.propose({"a", keepdb::commands::kAllRoles}, args, [&f](const Reply& reply) {
      f.replies.push_back("a " + describe_reply(reply));
      f.set("b");  // the client's next write, sent on its reply
    });
    f.set("c");
    f.scheduler.run_for_us(0);
    REQUIRE(f.sink.batches.size() == static_cast<std::size_t>(2 * round + 1));
    f.sink.complete(2 * round);
    f.scheduler.run_for_us(0);
    REQUIRE(f.sink.batches.size() == static_cast<std::size_t>(2 * round + 2));
    CHECK(f.batch(2 * round + 1) == "SET b v");
    f.sink.complete(2 * round + 1);
  }
  CHECK(f.replies == std::vector<std::string>{"a :1", "c :2", "b :1", "a :1", "c :2", "b :1",
                                              "a :1", "c :2", "b :1"});
  CHECK(f.stats.writes_applied == 9);
}

TEST_CASE("a sink that does not gather gets the next batch at once", "[group_commit]") {
  Fixture f;
  f.sink.gathers_ = false;
  for (const char* key : {"a", "b", "c"}) f.set(key);
  f.scheduler.run_for_us(0);
  f.sink.complete(0);  // a round of 3, but no wait for 3 more
  f.set("d");
  f.scheduler.run_for_us(0);
  REQUIRE(f.sink.batches.size() == 2);
  CHECK(f.batch(1) == "SET d v");
}

TEST_CASE("after a round of N commands the next batch waits for N, at most max_gather_wait",
          "[group_commit]") {
  Fixture f(800us);
  for (const char* key : {"a", "b", "c"}) f.set(key);
  f.scheduler.run_for_us(0);
  f.sink.complete(0);  // a round of 3: the target is now 3

  SECTION("fewer than N: handed off when the window closes") {
    const std::uint64_t start = f.scheduler.now_us();
    f.set("d");
    f.scheduler.run_for_us(799);
    CHECK(f.sink.batches.size() == 1);
    f.scheduler.run_for_us(1);
    REQUIRE(f.sink.batches.size() == 2);
    CHECK(f.sink.batches[1].at_us == start + 800);
    CHECK(f.batch(1) == "SET d v");
  }

  SECTION("N arrive within the window: handed off as the N-th arrives") {
    f.set("d");
    f.scheduler.run_for_us(300);
    f.set("e");
    f.scheduler.run_for_us(200);
    CHECK(f.sink.batches.size() == 1);
    const std::uint64_t third = f.scheduler.now_us();
    f.set("f");
    f.scheduler.run_for_us(0);
    REQUIRE(f.sink.batches.size() == 2);
    CHECK(f.sink.batches[1].at_us == third);
    CHECK(f.batch(1) == "SET d v | SET e v | SET f v");
    // The window's timer was cancelled: nothing more is handed off at its deadline.
    f.sink.complete(1);
    f.scheduler.run_for(5);
    CHECK(f.sink.batches.size() == 2);
  }

  SECTION("a smaller round lowers the target") {
    f.set("d");
    f.scheduler.run_for_us(800);
    f.sink.complete(1);  // a round of 1
    f.set("e");
    f.scheduler.run_for_us(0);
    CHECK(f.sink.batches.size() == 3);
  }
}

TEST_CASE("each batch carries the wall clock at its hand-off, the node's databases and value limit",
          "[group_commit]") {
  Fixture f;
  f.scheduler.run_for(7);
  f.set("a");
  f.scheduler.run_for_us(0);
  REQUIRE(f.sink.batches.size() == 1);
  const keepdb::commands::OpBatchReader reader(f.sink.batches[0].ops);
  CHECK(reader.time_ms() == 1'700'000'000'000 + f.scheduler.now_ms());
  CHECK(reader.databases() == kDatabases);
  CHECK(reader.max_value_bytes() == kMaxValueBytes);
}

TEST_CASE("a sink that answers fewer ops than it got fails the rest", "[group_commit]") {
  Fixture f;
  f.set("a");
  f.set("b");
  f.scheduler.run_for_us(0);
  auto done = std::move(f.sink.batches.at(0).done);
  done({Reply::ok()});
  CHECK(f.replies == std::vector<std::string>{"a +OK", "b -ERR internal error"});
}

TEST_CASE("drain completes what is queued without the gather wait, then reports", "[group_commit]") {
  Fixture f(5000us);
  for (const char* key : {"a", "b", "c"}) f.set(key);
  f.scheduler.run_for_us(0);
  f.set("d");  // queued behind the batch in flight
  bool drained = false;
  f.group.drain([&] { drained = true; });
  CHECK_FALSE(drained);
  f.sink.complete(0);
  CHECK_FALSE(drained);
  f.scheduler.run_for_us(0);  // no 5 ms wait for a round of 4
  REQUIRE(f.sink.batches.size() == 2);
  f.sink.complete(1);
  CHECK(drained);
  CHECK(f.replies.size() == 4);
}

TEST_CASE("drain with nothing queued reports at once", "[group_commit]") {
  Fixture f;
  bool drained = false;
  f.group.drain([&] { drained = true; });
  CHECK(drained);
}
