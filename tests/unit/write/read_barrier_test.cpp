// ReadBarrier on the virtual clock over the scripted raft group: a sole voter answers at
// once; otherwise reads wait in rounds (one barrier on the leader, one read-index request
// from a follower), reads that arrive during a round join the next one and one round
// serves them all; the round's index covers every acknowledged write; a follower waits until
// it has applied that index; timeouts, leadership changes and UNAVAILABLE end a round.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "kernel/consensus/write/raft_sink.h"
#include "kernel/consensus/write/read_barrier.h"
#include "tests/unit/write/write_cluster.h"

using keepdb::consensus::kUnavailableError;
using keepdb::consensus::testing::WriteCluster;
using keepdb::consensus::testing::WriteClusterOptions;
using namespace std::chrono_literals;

namespace {

struct Read {
  std::optional<std::string> outcome;  // "#index" or the error
  std::uint64_t at_us = 0;
};

void read(WriteCluster& cluster, raft_id node, Read& into) {
  cluster.node(node).reads().wait([&cluster, &into](std::optional<std::string> error,
                                                    std::uint64_t index) {
    REQUIRE_FALSE(into.outcome);  // exactly once
    into.outcome = error ? *error : "#" + std::to_string(index);
    into.at_us = cluster.scheduler().now_us();
  });
}

// Barrier entries appended since `from` (the fake raft's trace).
struct BarrierCount {
  explicit BarrierCount(WriteCluster& cluster) {
    cluster.raft().set_trace([this](const std::string& line) {
      if (line.ends_with(": (barrier)")) ++count;
    });
  }
  int count = 0;
};

}  // namespace

TEST_CASE("a sole voter that leads answers reads without a round", "[read_barrier]") {
  WriteCluster cluster(1);
  cluster.elect_and_settle(1);
  BarrierCount barriers(cluster);
  Read r;
  read(cluster, 1, r);
  CHECK_FALSE(r.outcome);  // posted, never inside wait()
  cluster.scheduler().run_for(0);
  CHECK(r.outcome == "#" + std::to_string(cluster.raft().commit_index()));
  CHECK(barriers.count == 0);
}

TEST_CASE("reads are immediate only on a sole voter that leads, is available and refuses none",
          "[read_barrier]") {
  WriteCluster single(1);
  CHECK_FALSE(single.node(1).reads().immediate());  // no leader yet
  single.elect_and_settle(1);
  CHECK(single.node(1).reads().immediate());
  single.raft().replica(1).set_read_refusal("MISCONF behind");
  CHECK_FALSE(single.node(1).reads().immediate());
  single.raft().replica(1).set_read_refusal(std::nullopt);
  single.raft().replica(1).set_unavailable(true);
  CHECK_FALSE(single.node(1).reads().immediate());

  WriteCluster three(3);
  three.elect_and_settle(1);
  for (const raft_id node : {1, 2, 3}) CHECK_FALSE(three.node(node).reads().immediate());
}

TEST_CASE("a store behind its answered writes refuses reads at once, on a sole voter or not",
          "[read_barrier]") {
  for (const std::size_t nodes : {std::size_t{1}, std::size_t{3}}) {
    WriteCluster cluster(nodes);
    cluster.elect_and_settle(1);
    BarrierCount barriers(cluster);
    cluster.raft().replica(1).set_read_refusal("MISCONF behind");
    Read r;
    read(cluster, 1, r);
    cluster.scheduler().run_for(0);
    CHECK(r.outcome == "MISCONF behind");
    CHECK(barriers.count == 0);
    cluster.raft().replica(1).set_read_refusal(std::nullopt);
    Read after;
    read(cluster, 1, after);
    cluster.settle();
    REQUIRE(after.outcome);
    CHECK(after.outcome->starts_with("#"));  // an index: served
  }
}

TEST_CASE("reads during a round join the next; one round serves all of its reads",
          "[read_barrier]") {
  WriteCluster cluster(3);  // commit takes 2 ms
  cluster.elect_and_settle(1);
  BarrierCount barriers(cluster);
  const std::uint64_t start = cluster.scheduler().now_us();
  const auto first_index = cluster.raft().commit_index();
  Read a, b, c, d;
  read(cluster, 1, a);  // starts a round at once
  read(cluster, 1, b);  // the round is running: the next one
  cluster.scheduler().run_for(1);
  read(cluster, 1, c);  // mid-round: the next one too
  cluster.scheduler().run_for_us(999);
  read(cluster, 1, d);  // 1 us before the first round's barrier commits
  CHECK(barriers.count == 1);
  cluster.settle();
  CHECK(barriers.count == 2);
  CHECK(a.outcome == "#" + std::to_string(first_index));
  CHECK(a.at_us == start + 2000);
  // The second round started when the first ended; its index is the commit index then
  // (the first round's barrier), and it served b, c and d.
  CHECK(b.outcome == "#" + std::to_string(first_index + 1));
  CHECK(c.outcome == b.outcome);
  CHECK(d.outcome == b.outcome);
  CHECK(b.at_us == start + 4000);
  CHECK(c.at_us == b.at_us);
  CHECK(d.at_us == b.at_us);
}

TEST_CASE("a read after an acknowledged write reads at or after the write's entry",
          "[read_barrier]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  cluster.write(2, "w", {"INCR", "x"});
  cluster.settle();
  const auto write_index = cluster.raft().commit_index();
  Read on_leader, on_follower;
  read(cluster, 1, on_leader);
  read(cluster, 3, on_follower);
  cluster.settle();
  // The leader's read started a round at once, at the write's index; the follower's request
  // reached the leader during that round and joined the next, at the first round's barrier.
  CHECK(on_leader.outcome == "#" + std::to_string(write_index));
  CHECK(on_follower.outcome == "#" + std::to_string(write_index + 1));
}

TEST_CASE("a follower's read waits until it has applied the leader's read index",
          "[read_barrier]") {
  // The follower learns of commits 5 ms after the leader; frames take 1 ms each way.
  WriteClusterOptions options;
  options.nodes = 3;
  options.raft.follower_apply_us = 5000;
  WriteCluster cluster(options);
  cluster.elect_and_settle(1);
  cluster.write(1, "w", {"INCR", "x"});
  cluster.scheduler().run_for_us(2000);  // committed and applied on the leader only
  const auto write_index = cluster.raft().commit_index();
  REQUIRE(cluster.node(2).replica().applied_index() < write_index);
  const std::uint64_t asked = cluster.scheduler().now_us();
  Read r;
  read(cluster, 2, r);
  cluster.settle();
  CHECK(r.outcome == "#" + std::to_string(write_index));
  // The leader's answer is back after 4 ms (1 ms there, its 2 ms barrier, 1 ms back); the
  // follower applies the write 5 ms after it committed (when the read was asked), and
  // answers then, without waiting for the round's barrier to apply too.
  CHECK(r.at_us == asked + 5000);
  CHECK(cluster.node(2).replica().applied_index() >= write_index);
}

TEST_CASE("a round that does not finish in time fails; queued reads start the next",
          "[read_barrier]") {
  WriteClusterOptions options;
  options.nodes = 3;
  options.read_timeout = 50ms;
  WriteCluster cluster(options);
  cluster.elect_and_settle(1);
  cluster.raft().hold_commits(true);
  const std::uint64_t start = cluster.scheduler().now_us();
  Read a, b;
  read(cluster, 1, a);
  cluster.scheduler().run_for(10);
  read(cluster, 1, b);
  cluster.scheduler().run_for_us(50'000 - 10'000 - 1);
  CHECK_FALSE(a.outcome);
  cluster.scheduler().run_for_us(1);
  cluster.scheduler().run_for(0);
  CHECK(a.outcome == "TRYAGAIN read timed out");
  CHECK(a.at_us == start + 50'000);
  CHECK_FALSE(b.outcome);  // in the next round, which started then
  cluster.raft().hold_commits(false);
  cluster.settle();
  CHECK(b.outcome);
  CHECK(b.outcome->starts_with("#"));
}

TEST_CASE("leadership lost during the barrier fails the round with TRYAGAIN", "[read_barrier]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  cluster.raft().hold_commits(true);
  Read r;
  read(cluster, 1, r);
  cluster.scheduler().run_for(1);
  cluster.raft().elect(2);
  cluster.raft().hold_commits(false);
  cluster.settle();
  CHECK(r.outcome == "TRYAGAIN leadership changed during the read");
}

TEST_CASE("a leader whose election barrier has not applied reads at the round's barrier",
          "[read_barrier]") {
  WriteCluster cluster(3);
  cluster.raft().elect(1);
  const auto election_barrier = cluster.raft().last_index();
  Read r;
  read(cluster, 1, r);
  cluster.settle();
  CHECK(r.outcome == "#" + std::to_string(election_barrier + 1));
}

TEST_CASE("no leader, or UNAVAILABLE, ends the read with the error", "[read_barrier]") {
  WriteCluster cluster(3);
  Read none;
  read(cluster, 2, none);
  cluster.settle();
  CHECK(none.outcome == "TRYAGAIN no leader");

  cluster.elect_and_settle(1);
  cluster.raft().replica(3).set_unavailable(true);
  Read refused;
  read(cluster, 3, refused);
  cluster.settle();
  CHECK(refused.outcome == kUnavailableError);

  SECTION("a round under way when the node turns UNAVAILABLE") {
    cluster.raft().hold_commits(true);
    Read during;
    read(cluster, 2, during);
    cluster.scheduler().run_for(1);
    cluster.raft().replica(2).set_unavailable(true);
    cluster.scheduler().run_for(0);
    CHECK(during.outcome == kUnavailableError);
    cluster.raft().hold_commits(false);
    cluster.settle();
  }
}
