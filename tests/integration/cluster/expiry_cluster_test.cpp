// Expiry in a real 3-node cluster: a deadline set through any node is the same absolute
// time on every node (the leader's batch time fixes it), and the leader's active expiry
// erases due keys on every node through the log.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/info_text.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {
namespace {

TEST_CASE("cluster: deadlines are identical on every node and expired keys leave all of them",
          "[cluster][expiry]") {
  LocalCluster cluster(3);
  const int found = cluster.wait_for_leader();
  REQUIRE(found >= 0);
  const auto leader = static_cast<unsigned>(found);
  const unsigned follower = (leader + 1) % 3;

  RawClient via_follower(cluster.client_port(follower));
  REQUIRE(via_follower.command({"SET", "later", "v", "EX", "1000"}).text == "OK");
  REQUIRE(via_follower.command({"SET", "counter", "5", "PX", "600000"}).text == "OK");
  REQUIRE(via_follower.command({"INCR", "counter"}).integer == 6);  // keeps its deadline
  constexpr int kVolatile = 300;
  std::vector<std::vector<std::string>> sets;
  for (int i = 0; i < kVolatile; ++i) {
    sets.push_back({"SET", "soon:" + std::to_string(i), "v", "PX", "300"});
  }
  RawClient via_leader(cluster.client_port(leader));
  for (const RespValue& reply : via_leader.pipeline(sets)) REQUIRE(reply.text == "OK");

  const std::int64_t deadline = via_leader.command({"PEXPIRETIME", "later"}).integer;
  const std::int64_t counter_deadline = via_leader.command({"PEXPIRETIME", "counter"}).integer;
  REQUIRE(deadline > 0);
  for (unsigned node = 0; node < 3; ++node) {
    INFO("node " << node);
    RawClient client(cluster.client_port(node));
    CHECK(client.command({"PEXPIRETIME", "later"}).integer == deadline);
    CHECK(client.command({"PEXPIRETIME", "counter"}).integer == counter_deadline);
    CHECK(poll_until([&] { return client.command({"DBSIZE"}).integer == 2; }, kReplyTimeout));
    CHECK(client.command({"GET", "soon:0"}).null);
    CHECK(client.command({"GET", "counter"}).text == "6");
  }
  CHECK(info_field(via_leader.command({"INFO", "stats"}).text, "expired_keys") ==
        std::to_string(kVolatile));
}

}  // namespace
}  // namespace keepdb::integration
