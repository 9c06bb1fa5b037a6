// Numbered databases on a real 3-node cluster: writes to database 5 sent to a follower are
// forwarded with their database and read on another node, and kept across that node's
// restart; a follower that was down while the log was compacted installs a snapshot that
// carries database 3's keys (the empty key and a TTL included) and none in database 0.
// Nodes configured with different storage.databases apply MOVE as the leader did, and
// nodes with different limits.max_bulk_bytes apply APPEND and SETRANGE as the leader did.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {
namespace {

unsigned index_of(int node) { return static_cast<unsigned>(node); }

// Waits until `node` has applied everything `leader` has.
void catch_up(LocalCluster& cluster, unsigned leader, unsigned node) {
  const std::uint64_t applied = std::stoull(cluster.info(leader, "keepdb_applied_index"));
  REQUIRE(cluster.wait_applied(node, applied, 30s));
}

// GET `key` in database `db` on `port`.
RespValue get_in(std::uint16_t port, const std::string& db, const std::string& key) {
  RawClient client(port);
  REQUIRE(client.command({"SELECT", db}).text == "OK");
  return client.command({"GET", key}, 20s);
}

TEST_CASE("databases: writes to database 5 through a follower are read on another node and "
          "survive its restart",
          "[cluster][db]") {
  LocalCluster cluster(3, {}, "databases");
  const int leader_index = cluster.wait_for_leader();
  REQUIRE(leader_index >= 0);
  const unsigned leader = index_of(leader_index);
  const unsigned follower = (leader + 1) % 3;
  const unsigned other = (leader + 2) % 3;
  {
    RawClient client(cluster.client_port(follower));
    REQUIRE(client.command({"SELECT", "5"}).text == "OK");
    CHECK(client.command({"SET", "k", "in five"}, 20s).text == "OK");
    CHECK(client.command({"SET", "", "empty in five"}, 20s).text == "OK");
    CHECK(client.command({"MULTI"}).text == "OK");
    CHECK(client.command({"INCR", "counter"}).text == "QUEUED");
    CHECK(client.command({"SELECT", "6"}).text == "QUEUED");
    CHECK(client.command({"SET", "k", "in six"}).text == "QUEUED");
    CHECK(client.command({"EXEC"}, 20s).elements.size() == 3);
    CHECK(client.command({"SET", "after-exec", "in six"}, 20s).text == "OK");  // stays in 6
  }
  catch_up(cluster, leader, other);
  const auto check_other = [&] {
    CHECK(get_in(cluster.client_port(other), "5", "k").text == "in five");
    CHECK(get_in(cluster.client_port(other), "5", "").text == "empty in five");
    CHECK(get_in(cluster.client_port(other), "5", "counter").text == "1");
    CHECK(get_in(cluster.client_port(other), "6", "k").text == "in six");
    CHECK(get_in(cluster.client_port(other), "6", "after-exec").text == "in six");
    CHECK(get_in(cluster.client_port(other), "0", "k").null);
  };
  check_other();
  REQUIRE(cluster.stop(other).exited_normally(0));
  cluster.start(other);
  REQUIRE(cluster.wait_for_leader() >= 0);
  catch_up(cluster, index_of(cluster.wait_for_leader()), other);
  check_other();
}

TEST_CASE("databases: a follower that installs a snapshot gets database 3's keys",
          "[cluster][db]") {
  LocalCluster cluster(3, {{"snapshot_threshold", 32}, {"snapshot_trailing", 16}},
                       "databases-snapshot");
  const int leader_index = cluster.wait_for_leader();
  REQUIRE(leader_index >= 0);
  const unsigned leader = index_of(leader_index);
  const unsigned follower = (leader + 1) % 3;
  REQUIRE(cluster.stop(follower).exited_normally(0));
  // Many entries past the threshold and the trailing log while the follower is down: the
  // leader's log no longer holds what it lacks, so it must install a snapshot.
  RawClient client(cluster.client_port(leader));
  REQUIRE(client.command({"SELECT", "3"}).text == "OK");
  for (int i = 0; i < 200; ++i) {
    REQUIRE(client.command({"SET", "k" + std::to_string(i % 50), std::to_string(i)}, 20s).text ==
            "OK");
  }
  REQUIRE(client.command({"SET", "", "empty in three"}, 20s).text == "OK");
  REQUIRE(client.command({"EXPIRE", "k1", "1000"}, 20s).integer == 1);

  cluster.start(follower);
  catch_up(cluster, leader, follower);
  CHECK(cluster.log(follower).find("replaced the key-value store by the streamed snapshot") !=
        std::string::npos);
  RawClient on_follower(cluster.client_port(follower));
  CHECK(on_follower.command({"DBSIZE"}, 20s).integer == 0);
  REQUIRE(on_follower.command({"SELECT", "3"}).text == "OK");
  CHECK(on_follower.command({"DBSIZE"}, 20s).integer == 51);
  CHECK(on_follower.command({"GET", "k49"}).text == "199");
  CHECK(on_follower.command({"GET", ""}).text == "empty in three");
  const std::int64_t ttl = on_follower.command({"TTL", "k1"}).integer;
  CHECK((ttl > 990 && ttl <= 1000));
}


TEST_CASE("databases: nodes configured with different counts apply MOVE alike and say so",
          "[cluster][db]") {
  LocalCluster cluster(3, {}, "databases-counts");
  REQUIRE(cluster.wait_for_leader() >= 0);
  const std::vector<unsigned> counts = {16, 4, 2};
  for (unsigned node = 1; node < 3; ++node) {
    REQUIRE(cluster.stop(node).exited_normally(0));
    cluster.set_databases(node, counts[node]);
    cluster.rewrite_config(node);
    cluster.start(node);
  }
  const int leader_index = cluster.wait_for_leader();
  REQUIRE(leader_index >= 0);
  const unsigned leader = index_of(leader_index);
  const bool moves = counts[leader] > 3;  // database 3 exists on the leader
  {
    RawClient client(cluster.client_port(leader));
    REQUIRE(client.command({"SET", "k", "v"}, 20s).text == "OK");
    const RespValue moved = client.command({"MOVE", "k", "3"}, 20s);
    CHECK(moved.describe() == (moves ? "1" : "(error) ERR DB index is out of range"));
  }
  for (unsigned node = 0; node < 3; ++node) {
    CAPTURE(node, counts[node], leader);
    catch_up(cluster, leader, node);
    RawClient client(cluster.client_port(node));
    CHECK(client.command({"EXISTS", "k"}, 20s).integer == (moves ? 0 : 1));
    if (counts[node] != counts[leader]) {
      CHECK(cluster.log(node).find("a write batch built with storage.databases = " +
                                   std::to_string(counts[leader])) != std::string::npos);
    }
  }
}

TEST_CASE("limits: nodes with different max_bulk_bytes grow values as the leader allowed",
          "[cluster][limits]") {
  // Node 1 allows 64-byte values, the others 16; node 1 leads.
  LocalCluster::ExtraLines extra;
  extra.tail = [](unsigned node) {
    return std::string("[limits]\nmax_bulk_bytes = ") + (node == 0 ? "64" : "16") + "\n";
  };
  LocalCluster cluster(3, {}, "value-limits", {}, {}, extra);
  const int leader = cluster.wait_for_leader();
  REQUIRE(leader >= 0);
  if (leader != 0) {
    REQUIRE(transfer_leadership(cluster, index_of(leader), cluster.id(0)).text == "OK");
    REQUIRE(cluster.wait_for_leader() == 0);
  }
  {
    RawClient client(cluster.client_port(0));
    const std::string piece(16, 'a');
    CHECK(client.command({"APPEND", "k", piece}, 20s).integer == 16);
    CHECK(client.command({"APPEND", "k", piece}, 20s).integer == 32);  // past the others' 16
    CHECK(client.command({"SETRANGE", "k", "40", "x"}, 20s).integer == 41);
    CHECK(client.command({"APPEND", "k", std::string(16, 'b')}, 20s).integer == 57);
    CHECK(client.command({"APPEND", "k", std::string(8, 'c')}, 20s).describe() ==
          "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  for (unsigned node = 0; node < 3; ++node) {
    CAPTURE(node);
    catch_up(cluster, 0, node);
    RawClient client(cluster.client_port(node));
    CHECK(client.command({"STRLEN", "k"}, 20s).integer == 57);
  }
}

}  // namespace
}  // namespace keepdb::integration
