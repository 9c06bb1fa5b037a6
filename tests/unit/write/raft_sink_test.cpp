// RaftSink on the virtual clock over the scripted raft group: one entry per batch on a
// ready leader, waiting for the election barrier, forwarding on a follower, and the error
// every op gets without a leader, with storage refusing writes, when consensus is
// UNAVAILABLE, or when leadership is lost before the entry commits.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "kernel/consensus/write/raft_sink.h"
#include "tests/unit/write/write_cluster.h"

using keepdb::commands::Caller;
using keepdb::commands::Reply;
using keepdb::consensus::kUnavailableError;
using keepdb::consensus::testing::describe_reply;
using keepdb::consensus::testing::WriteCluster;
using keepdb::consensus::testing::WriteClusterOptions;

namespace {

// A batch of ops, each given as "INCR x".
std::string batch_of(const std::vector<std::string>& ops) {
  keepdb::commands::OpBatchBuilder builder;
  for (const std::string& op : ops) {
    std::vector<std::string> words;
    std::string word;
    for (char c : op + " ") {
      if (c != ' ') {
        word += c;
      } else if (!word.empty()) {
        words.push_back(std::exchange(word, {}));
      }
    }
    const std::vector<std::string_view> args(words.begin(), words.end());
    builder.add(args);
  }
  return builder.take(1'700'000'000'000);
}

// Commits `ops` through server `node`'s RaftSink; the replies land in *out once done.
void commit(WriteCluster& cluster, raft_id node, const std::vector<std::string>& ops,
            std::optional<std::vector<std::string>>& out) {
  std::vector<Caller> callers(ops.size(), Caller{"app", keepdb::commands::kAllRoles});
  cluster.node(node).sink().commit(batch_of(ops), callers, [&out](std::vector<Reply> replies) {
    out.emplace();
    for (const Reply& reply : replies) out->push_back(describe_reply(reply));
  });
}

using Replies = std::vector<std::string>;

}  // namespace

TEST_CASE("a ready leader makes each batch one entry and answers from its apply", "[raft_sink]") {
  WriteCluster cluster(1);
  cluster.elect_and_settle(1);
  const auto last = cluster.raft().last_index();
  std::optional<Replies> replies;
  commit(cluster, 1, {"INCR x", "INCR x", "SET a 1"}, replies);
  CHECK_FALSE(replies);  // never inside commit()
  cluster.settle();
  CHECK(replies == Replies{":1", ":2", "+OK"});
  CHECK(cluster.raft().last_index() == last + 1);
}

TEST_CASE("a leader whose election barrier has not applied holds the batch until it has",
          "[raft_sink]") {
  WriteCluster cluster(3);
  cluster.raft().elect(1);
  auto& leader = cluster.node(1).replica();
  REQUIRE(leader.leader());
  REQUIRE_FALSE(leader.ready());
  std::optional<Replies> replies;
  commit(cluster, 1, {"INCR x"}, replies);
  const auto barrier_index = cluster.raft().last_index();
  cluster.scheduler().run_for(1);
  CHECK(cluster.raft().last_index() == barrier_index);  // not appended yet
  cluster.settle();
  CHECK(leader.ready());
  CHECK(cluster.raft().last_index() == barrier_index + 1);
  CHECK(replies == Replies{":1"});
}

TEST_CASE("a follower forwards the batch; the replies are the leader's", "[raft_sink]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  std::optional<Replies> first;
  std::optional<Replies> second;
  commit(cluster, 2, {"INCR x", "INCR x"}, first);
  commit(cluster, 3, {"INCR x"}, second);
  cluster.settle();
  CHECK(first == Replies{":1", ":2"});
  CHECK(second == Replies{":3"});
  CHECK(cluster.node(2).replica().counter("x") == 3);  // the follower applied the same log
}

TEST_CASE("without a leader every op gets TRYAGAIN, later", "[raft_sink]") {
  WriteCluster cluster(3);
  std::optional<Replies> replies;
  commit(cluster, 2, {"SET a 1", "SET b 2"}, replies);
  CHECK_FALSE(replies);
  cluster.scheduler().run_for(0);
  CHECK(replies == Replies{"-TRYAGAIN no leader", "-TRYAGAIN no leader"});
}

TEST_CASE("while storage refuses writes every op gets the refusal", "[raft_sink]") {
  WriteCluster cluster(1);
  cluster.elect_and_settle(1);
  cluster.raft().replica(1).set_write_refusal("MISCONF disk full");
  std::optional<Replies> replies;
  commit(cluster, 1, {"SET a 1", "SET b 2"}, replies);
  cluster.settle();
  CHECK(replies == Replies{"-MISCONF disk full", "-MISCONF disk full"});
}

TEST_CASE("an UNAVAILABLE node refuses every op", "[raft_sink]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  cluster.raft().replica(2).set_unavailable(true);
  std::optional<Replies> replies;
  commit(cluster, 2, {"SET a 1"}, replies);
  cluster.settle();
  CHECK(replies == Replies{"-" + std::string(kUnavailableError)});
}

TEST_CASE("leadership lost before the entry commits: the outcome is unknown", "[raft_sink]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  std::optional<Replies> replies;
  commit(cluster, 1, {"SET a 1", "SET b 2"}, replies);
  cluster.scheduler().run_for(1);  // appended, not committed (commit takes 2 ms)

  SECTION("another server leads") {
    cluster.raft().elect(2);
    cluster.settle();
    const std::string lost =
        "-ERR leadership changed before the write was confirmed; it may or may not be applied";
    CHECK(replies == Replies{lost, lost});
  }

  SECTION("storage failed meanwhile: the refusal, saying the outcome is unknown") {
    cluster.raft().replica(1).set_write_refusal("MISCONF disk full");
    cluster.raft().elect(0);
    cluster.settle();
    const std::string refused = "-MISCONF disk full; this write may or may not be applied";
    CHECK(replies == Replies{refused, refused});
  }
}

TEST_CASE("a forwarded batch whose leader is unreachable gets TRYAGAIN", "[raft_sink]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  cluster.network().set_link(2, 1, false);
  std::optional<Replies> replies;
  commit(cluster, 2, {"SET a 1", "SET b 2"}, replies);
  cluster.settle();
  CHECK(replies == Replies{"-TRYAGAIN leader unreachable", "-TRYAGAIN leader unreachable"});
}
