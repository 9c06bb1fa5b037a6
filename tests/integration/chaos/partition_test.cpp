// Partitions with real isolation (issue 14, item 6): every peer link of a 3-node cluster
// runs through a PeerProxy, so a test can cut a node off while it keeps running, the one
// case a paused or killed process cannot produce: an old leader that still believes it leads.
// It must neither acknowledge a write nor serve a linearizable read once the others have
// moved on, and after the partition heals it must step down and catch up.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "tests/integration/chaos/peer_proxy.h"
#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {
namespace {

// The reply to `args` on `port`, or nullopt when none comes within `timeout` (a node that
// cannot reach a majority may hold a request until its own deadline).
std::optional<RespValue> try_command(std::uint16_t port, const std::vector<std::string>& args,
                                     milliseconds timeout) {
  try {
    RawClient client(port);
    return client.command(args, timeout);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The node other than `excluded` that reports itself leader and ready, or -1 at the deadline.
int wait_for_other_leader(LocalCluster& cluster, unsigned excluded, milliseconds timeout) {
  int leader = -1;
  poll_until(
      [&] {
        for (unsigned node = 0; node < cluster.size(); ++node) {
          if (node != excluded && cluster.info(node, "keepdb_role") == "leader" &&
              cluster.info(node, "keepdb_leader_ready") == "1") {
            leader = static_cast<int>(node);
            return true;
          }
        }
        return false;
      },
      timeout, 20ms);
  return leader;
}

TEST_CASE("partition: an isolated old leader neither acknowledges writes nor serves stale reads",
          "[partition]") {
  std::map<unsigned, std::unique_ptr<PeerProxy>> proxies;
  LocalCluster cluster(3, {}, "partition", {}, [&](unsigned node, std::uint16_t peer_port) {
    proxies[node] = std::make_unique<PeerProxy>(peer_port);
    return proxies[node]->port();
  });
  const int first = cluster.wait_for_leader(30s);
  REQUIRE(first >= 0);
  const unsigned old_leader = static_cast<unsigned>(first);
  {
    RawClient client(cluster.client_port(old_leader));
    REQUIRE(client.command({"SET", "k", "before"}).text == "OK");
  }

  // Cut the old leader off in both directions; it keeps running.
  for (unsigned node = 0; node < cluster.size(); ++node) {
    if (node == old_leader) continue;
    proxies[old_leader]->block(cluster.id(node));
    proxies[node]->block(cluster.id(old_leader));
  }
  const int elected = wait_for_other_leader(cluster, old_leader, 30s);
  REQUIRE(elected >= 0);
  const unsigned new_leader = static_cast<unsigned>(elected);
  {
    RawClient client(cluster.client_port(new_leader));
    REQUIRE(client.command({"SET", "k", "after"}).text == "OK");
  }

  // The old leader: no acknowledged write, no read of the value the majority replaced.
  const auto write = try_command(cluster.client_port(old_leader), {"SET", "lost", "x"}, 8s);
  CHECK((!write || write->text != "OK"));
  const auto read = try_command(cluster.client_port(old_leader), {"GET", "k"}, 8s);
  CHECK((!read || read->is_error()));
  if (read) CHECK(read->text != "before");

  // Healed: the old leader follows the new one and serves the new value.
  for (auto& [node, proxy] : proxies) proxy->unblock_all();
  REQUIRE(cluster.wait_for_leader(30s) >= 0);
  const std::string commit = cluster.info(new_leader, "keepdb_commit_index");
  REQUIRE(cluster.wait_applied(old_leader, std::stoull(commit), 30s));
  RawClient client(cluster.client_port(old_leader));
  CHECK(client.command({"GET", "k"}).text == "after");
  CHECK(client.command({"GET", "lost"}).null);
}

}  // namespace
}  // namespace keepdb::integration
