// Three real libraft servers over RaftIo in the deterministic harness: elections,
// replication, truncation of a deposed leader's entries, snapshots and InstallSnapshot,
// restarts from each server's own disk, a faulty network, and a failing disk.
#include <catch2/catch.hpp>

#include <numeric>

#include "tests/unit/consensus/raft_cluster.h"

namespace keepdb::consensus::testing {
namespace {

// Proposes values first..last one at a time on whichever server leads, each committed before
// the next (the group-commit discipline the node uses). Returns the last index.
raft_index commit_values(RaftCluster& cluster, std::uint64_t first, std::uint64_t last) {
  raft_index index = 0;
  for (std::uint64_t value = first; value <= last; ++value) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      index = cluster.propose_on_leader(value);
      if (index != 0 && cluster.run_until(
                            [&] {
                              const int leader = cluster.leader();
                              return leader >= 0 &&
                                     raft_last_applied(&cluster.server(leader)) >= index;
                            },
                            5000)) {
        break;
      }
      index = 0;
    }
    REQUIRE(index != 0);
  }
  return index;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> values(last - first + 1);
  std::iota(values.begin(), values.end(), first);
  return values;
}

unsigned some_follower(RaftCluster& cluster) {
  return static_cast<unsigned>((cluster.leader() + 1) % static_cast<int>(cluster.size()));
}

}  // namespace

TEST_CASE("three servers elect exactly one leader and keep it", "[raft_cluster]") {
  RaftCluster cluster(ClusterOptions{});
  cluster.start();
  REQUIRE(cluster.wait_for_leader());
  const int leader = cluster.leader();
  const raft_term term = cluster.server(leader).current_term;
  cluster.run_for(5000);
  CHECK(cluster.leader() == leader);
  CHECK(cluster.server(leader).current_term == term);
  for (unsigned i = 0; i < cluster.size(); ++i) {
    raft_id id = 0;
    const char* address = nullptr;
    raft_leader(&cluster.server(i), &id, &address);
    CHECK(id == cluster.id_of(leader));
  }
  CHECK(cluster.safety_violation().empty());
}

TEST_CASE("commands replicate and apply in order on every server", "[raft_cluster]") {
  RaftCluster cluster(ClusterOptions{});
  cluster.start();
  const raft_index last = commit_values(cluster, 1, 30);
  REQUIRE(cluster.wait_applied(last));
  for (unsigned i = 0; i < cluster.size(); ++i) CHECK(cluster.fsm(i).applied() == range(1, 30));
  CHECK(cluster.safety_violation().empty());
}

TEST_CASE("a deposed leader's uncommitted entries are truncated when it rejoins",
          "[raft_cluster]") {
  RaftCluster cluster(ClusterOptions{});
  cluster.start();
  commit_values(cluster, 1, 3);
  const auto old_leader = static_cast<unsigned>(cluster.leader());
  cluster.network().isolate(cluster.id_of(old_leader));
  for (std::uint64_t value = 100; value < 103; ++value) {
    CHECK(cluster.propose(old_leader, value) != 0);  // accepted, never committed
  }
  REQUIRE(cluster.run_until(
      [&] {
        const int leader = cluster.leader();
        return leader >= 0 && static_cast<unsigned>(leader) != old_leader;
      },
      10000));
  const raft_index last = commit_values(cluster, 4, 8);
  cluster.network().heal();
  REQUIRE(cluster.wait_applied(last));
  cluster.run_for(1000);
  for (unsigned i = 0; i < cluster.size(); ++i) CHECK(cluster.fsm(i).applied() == range(1, 8));
  CHECK(cluster.storage(old_leader).truncations() > 0);
  for (const auto& [index, entry] : cluster.storage(old_leader).entries()) {
    const auto& leader_entries = cluster.storage(cluster.leader()).entries();
    if (leader_entries.contains(index)) CHECK(leader_entries.at(index).term == entry.term);
  }
  CHECK(cluster.safety_violation().empty());
}

TEST_CASE("a lagging server catches up through InstallSnapshot", "[raft_cluster]") {
  ClusterOptions options;
  options.snapshot_threshold = 8;
  options.snapshot_trailing = 2;
  RaftCluster cluster(options);
  cluster.start();
  commit_values(cluster, 1, 2);
  const unsigned lagging = some_follower(cluster);
  cluster.network().isolate(cluster.id_of(lagging));
  const raft_index last = commit_values(cluster, 3, 40);
  cluster.network().heal();
  REQUIRE(cluster.wait_applied(last, {lagging}));
  CHECK(cluster.fsm(lagging).applied() == range(1, 40));
  CHECK(cluster.fsm(lagging).restores() >= 1);
  CHECK(cluster.storage(lagging).snapshots_installed() >= 1);
  CHECK(cluster.network().delivered_of_type(FrameType::kInstallSnapshot) >= 1);
  CHECK(cluster.safety_violation().empty());
}

TEST_CASE("servers restart from their own disk", "[raft_cluster]") {
  RaftCluster cluster(ClusterOptions{});
  cluster.start();
  raft_index last = commit_values(cluster, 1, 10);
  REQUIRE(cluster.wait_applied(last));

  SECTION("a follower") {
    const unsigned follower = some_follower(cluster);
    cluster.restart(follower);
    CHECK(raft_last_index(&cluster.server(follower)) >= last);  // loaded from its disk
    last = commit_values(cluster, 11, 15);
    REQUIRE(cluster.wait_applied(last));
  }
  SECTION("the leader, twice") {
    for (int round = 0; round < 2; ++round) {
      cluster.restart(static_cast<unsigned>(cluster.leader()));
      last = commit_values(cluster, 11 + 5 * round, 15 + 5 * round);
    }
    REQUIRE(cluster.wait_applied(last));
  }
  SECTION("every server at once") {
    for (unsigned i = 0; i < cluster.size(); ++i) cluster.stop(i);
    for (unsigned i = 0; i < cluster.size(); ++i) cluster.start_server(i);
    last = commit_values(cluster, 11, 15);
    REQUIRE(cluster.wait_applied(last));
  }
  const std::vector<std::uint64_t> expected = cluster.fsm(0).applied();
  CHECK(expected.size() >= 15);
  for (unsigned i = 0; i < cluster.size(); ++i) CHECK(cluster.fsm(i).applied() == expected);
  CHECK(cluster.safety_violation().empty());
}

TEST_CASE("a server restarts after taking its own snapshot", "[raft_cluster]") {
  ClusterOptions options;
  options.snapshot_threshold = 8;
  options.snapshot_trailing = 3;
  RaftCluster cluster(options);
  cluster.start();
  raft_index last = commit_values(cluster, 1, 30);
  REQUIRE(cluster.wait_applied(last));
  cluster.run_for(500);
  const unsigned follower = some_follower(cluster);
  REQUIRE(cluster.storage(follower).snapshot().has_value());
  const raft_index snapshot_index = cluster.storage(follower).snapshot()->index;
  CHECK(cluster.storage(follower).entries().begin()->first > 1);  // compacted on disk

  cluster.restart(follower);
  CHECK(cluster.fsm(follower).restores() == 1);  // state rebuilt from its own snapshot
  CHECK(cluster.server(follower).log.snapshot.last_index == snapshot_index);
  CHECK(raft_last_index(&cluster.server(follower)) >= last);
  last = commit_values(cluster, 31, 40);
  REQUIRE(cluster.wait_applied(last));
  for (unsigned i = 0; i < cluster.size(); ++i) CHECK(cluster.fsm(i).applied() == range(1, 40));

  cluster.restart(static_cast<unsigned>(cluster.leader()));
  last = commit_values(cluster, 41, 45);
  REQUIRE(cluster.wait_applied(last));
  for (unsigned i = 0; i < cluster.size(); ++i) CHECK(cluster.fsm(i).applied() == range(1, 45));
}

TEST_CASE("dropped, duplicated and reordered messages still converge", "[raft_cluster]") {
  const std::uint64_t seed = GENERATE(Catch::Generators::range(1, 31));
  ClusterOptions options;
  options.seed = seed;
  // Trailing must exceed how far the leader's view of a follower can lag behind that
  // follower's own snapshot: libraft 0.15 rejects AppendEntries whose prev_log_index was
  // compacted away below the follower's snapshot, and ignores an older InstallSnapshot, so
  // with trailing 4 seed 1 livelocks. (The node keeps the default trailing of 2048.)
  options.snapshot_threshold = 10;
  options.snapshot_trailing = 20;
  options.network = NetworkFaults{0.2, 0.1, 1, 40};
  RaftCluster cluster(options);
  cluster.start();
  INFO("seed " << seed);
  commit_values(cluster, 1, 40);
  REQUIRE(cluster.wait_for_leader());
  const raft_index last = raft_last_index(&cluster.server(cluster.leader()));
  if (!cluster.wait_applied(last, {}, 60000)) FAIL(cluster.describe());
  const std::vector<std::uint64_t> expected = cluster.fsm(0).applied();
  for (unsigned i = 0; i < cluster.size(); ++i) CHECK(cluster.fsm(i).applied() == expected);
  for (std::uint64_t value = 1; value <= 40; ++value) {
    CHECK(std::count(expected.begin(), expected.end(), value) >= 1);
  }
  CHECK(cluster.network().frames_dropped() > 0);
  CHECK(cluster.network().frames_duplicated() > 0);
  CHECK(cluster.network().decode_failures() == 0);
  CHECK(cluster.safety_violation().empty());
}

TEST_CASE("a failing fsync makes a server's appends fail for good", "[raft_cluster]") {
  RaftCluster cluster(ClusterOptions{});
  cluster.start();
  raft_index last = commit_values(cluster, 1, 3);
  REQUIRE(cluster.wait_applied(last));
  const unsigned follower = some_follower(cluster);
  const raft_index stored_before = cluster.storage(follower).entries().rbegin()->first;
  cluster.storage(follower).fail_next_writes(1);

  last = commit_values(cluster, 4, 10);  // the two healthy servers still form a majority
  cluster.run_for(2000);
  CHECK(cluster.storage(follower).failed());
  CHECK(cluster.storage(follower).entries().rbegin()->first == stored_before);  // sticky
  // 0.15 keeps a follower whose asynchronous append failed running, but it
  // never counts those entries as stored, so it never acknowledges them.
  CHECK(cluster.server(follower).last_stored == stored_before);

  cluster.restart(follower);  // a new process on the same (intact) disk
  REQUIRE(cluster.wait_applied(last));
  for (unsigned i = 0; i < cluster.size(); ++i) CHECK(cluster.fsm(i).applied() == range(1, 10));
}

}  // namespace keepdb::consensus::testing
