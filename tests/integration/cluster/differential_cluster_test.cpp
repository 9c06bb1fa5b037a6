// The differential check against Redis 7 (harness/redis_differential.h) on a 3-node cluster:
// every command goes to a follower, so each write is forwarded to the leader and committed
// through Raft, each read waits for its barrier, and each transaction runs on the leader,
// and still every reply must be Redis's.
#include <catch2/catch.hpp>

#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/harness/redis_differential.h"

namespace keepdb::integration {

TEST_CASE("random command sequences sent to a follower get Redis 7's replies",
          "[cluster][compat][differential]") {
  LocalCluster cluster(3, {}, "differential");
  const int leader = cluster.wait_for_leader();
  REQUIRE(leader >= 0);
  const unsigned follower = (static_cast<unsigned>(leader) + 1) % cluster.size();
  CHECK(check_against_redis(cluster.client_port(follower), 11, false, 1500) == "");
  CHECK(check_against_redis(cluster.client_port(follower), 12, true, 1500) == "");
}

}  // namespace keepdb::integration
