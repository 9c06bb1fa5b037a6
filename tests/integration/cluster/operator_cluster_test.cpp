// /health and /metrics of a 3-node cluster: every node ready once a leader is elected and
// it has applied the log, exactly one node reporting keepdb_raft_leader, and a follower
// that lost its majority turning not ready.
#include <catch2/catch.hpp>

#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/operator/operator_client.h"

using namespace keepdb::integration;

TEST_CASE("cluster: /health is ready on every node of a 3-node cluster", "[cluster][operator]") {
  LocalCluster cluster(3, {}, "operator-cluster");
  const int leader = cluster.wait_for_leader();
  REQUIRE(leader >= 0);
  for (unsigned node = 0; node < cluster.size(); ++node) {
    INFO("node " << node + 1);
    CHECK(poll_until([&] {
      return http_status(http_get(cluster.operator_port(node), "/health")) == 200;
    }, 20s));
  }
  double leaders = 0;
  for (unsigned node = 0; node < cluster.size(); ++node) {
    leaders += sample(scrape_metrics(cluster.operator_port(node)), "keepdb_raft_leader{}");
  }
  CHECK(leaders == 1);

  // The two others stopped: the leader cannot stay leader without a majority, and the
  // survivor's /health says not ready.
  const auto survivor = static_cast<unsigned>(leader);
  for (unsigned node = 0; node < cluster.size(); ++node) {
    if (node != survivor) cluster.stop(node);
  }
  CHECK(poll_until([&] {
    return http_status(http_get(cluster.operator_port(survivor), "/health")) == 503;
  }, 30s));
}
