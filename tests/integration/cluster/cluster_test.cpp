// A real 3-node keepd cluster on loopback (issue 5): writes and reads on any node,
// READONLY, INFO replication and KEEPDB.MEMBERS; kill -9 of the leader under a write load
// (a new leader, and every acknowledged write on every node after the victim restarts); a
// follower that misses writes and catches up; a node added with KEEPDB.ADD that catches up
// by snapshot (with small [cluster] snapshot settings); KEEPDB.REMOVE and KEEPDB.TRANSFER,
// and their errors for ids that are not members; and a minority (2 of 3 stopped) that
// acknowledges nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/durability/write_load.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {
namespace {

// Pipelines GET of every key on `port` and returns the keys whose value differs.
std::vector<std::string> missing_on(std::uint16_t port,
                                    const std::map<std::string, std::string>& expected) {
  RawClient client(port);
  std::vector<std::string> missing;
  auto next = expected.begin();
  while (next != expected.end()) {
    std::string requests;
    auto chunk_end = next;
    for (int i = 0; i < 256 && chunk_end != expected.end(); ++i, ++chunk_end) {
      requests += encode_command({"GET", chunk_end->first});
    }
    REQUIRE(client.send(requests));
    for (; next != chunk_end; ++next) {
      const RespValue reply = client.read_reply();
      if (reply.null || reply.text != next->second)
        missing.push_back(next->first + " -> " + reply.describe());
    }
  }
  return missing;
}

std::uint64_t number(const std::string& text) {
  return text.empty() ? 0 : std::stoull(text);
}

unsigned other_than(unsigned node, unsigned size) {
  return (node + 1) % size;
}

// What KEEPDB.MEMBERS on one node says: the member ids, sorted, and which one leads.
struct Roster {
  std::vector<std::uint64_t> ids;
  std::uint64_t leader = 0;  // 0: none marked
};

Roster roster_on(const LocalCluster& cluster, unsigned node) {
  Roster roster;
  RawClient client(cluster.client_port(node));
  for (const RespValue& member : client.command({"KEEPDB.MEMBERS"}).elements) {
    std::uint64_t id = 0;
    bool leads = false;
    for (std::size_t i = 0; i + 1 < member.elements.size(); i += 2) {  // RESP2 map: key, value
      const std::string& field = member.elements[i].text;
      if (field == "id") id = static_cast<std::uint64_t>(member.elements[i + 1].integer);
      if (field == "leader") leads = member.elements[i + 1].integer == 1;
    }
    roster.ids.push_back(id);
    if (leads) roster.leader = id;
  }
  std::sort(roster.ids.begin(), roster.ids.end());
  return roster;
}

TEST_CASE("cluster: writes and reads on any node", "[cluster]") {
  LocalCluster cluster(3);
  const int leader = cluster.wait_for_leader();
  REQUIRE(leader >= 0);
  for (unsigned i = 0; i < 3; ++i) {
    RawClient client(cluster.client_port(i));
    CHECK(client.command({"SET", "key" + std::to_string(i), "value" + std::to_string(i)}).text ==
          "OK");
    CHECK(client.command({"INCR", "counter"}).integer == static_cast<std::int64_t>(i + 1));
  }
  for (unsigned i = 0; i < 3; ++i) {
    RawClient client(cluster.client_port(i));
    for (unsigned k = 0; k < 3; ++k) {
      CHECK(client.command({"GET", "key" + std::to_string(k)}).text == "value" + std::to_string(k));
    }
    CHECK(client.command({"GET", "counter"}).text == "3");
    CHECK(client.command({"READONLY"}).text == "OK");  // local reads: may lag, never wrong
    CHECK(client.command({"SET", "own", std::to_string(i)}).text == "OK");
  }
  const unsigned follower = other_than(static_cast<unsigned>(leader), 3);
  CHECK(cluster.info(follower, "keepdb_role") == "follower");
  CHECK(number(cluster.info(follower, "keepdb_leader_id")) == cluster.id(leader));
  CHECK(number(cluster.info(follower, "keepdb_term")) >= 1);
  CHECK(number(cluster.info(follower, "keepdb_commit_index")) >= 7);
  RawClient admin(cluster.client_port(follower));
  const RespValue members = admin.command({"KEEPDB.MEMBERS"});
  REQUIRE(members.elements.size() == 3);

  // WAIT: the leader counts the followers that hold its commit index (both, once the
  // slower one has caught up); a follower answers what a majority guarantees.
  RawClient on_leader(cluster.client_port(static_cast<unsigned>(leader)));
  CHECK(poll_until([&] { return on_leader.command({"WAIT", "2", "0"}).integer == 2; }, 10s));
  CHECK(admin.command({"WAIT", "2", "100"}).integer == 1);
  // SAVE snapshots the leader; a follower names it.
  CHECK(on_leader.command({"SAVE"}).text == "OK");
  CHECK(admin.command({"SAVE"}).text.rfind("ERR not the leader: run this on server", 0) == 0);
}

TEST_CASE("cluster: kill -9 of the leader under load loses no acknowledged write", "[cluster]") {
  LocalCluster cluster(3);
  const int leader = cluster.wait_for_leader();
  REQUIRE(leader >= 0);
  std::map<std::string, std::string> acknowledged;
  {
    // Writers on the leader and, forwarded, on a follower (same keys, same values).
    WriteLoad load(cluster.client_port(static_cast<unsigned>(leader)), 4);
    WriteLoad forwarded(cluster.client_port(other_than(static_cast<unsigned>(leader), 3)), 2);
    REQUIRE(load.wait_for_acknowledged(400, 20s));
    REQUIRE(forwarded.wait_for_acknowledged(100, 20s));
    cluster.kill9(static_cast<unsigned>(leader));
    REQUIRE(load.wait_finished(20s));
    REQUIRE(forwarded.wait_finished(20s));  // ends at the first write without an OK
    acknowledged = load.acknowledged();
    acknowledged.merge(forwarded.acknowledged());
  }
  const int new_leader = cluster.wait_for_leader();
  REQUIRE(new_leader >= 0);
  CHECK(new_leader != leader);
  {
    // The survivors keep taking writes through either of them.
    const unsigned survivor = other_than(static_cast<unsigned>(leader), 3);
    RawClient client(cluster.client_port(survivor));
    CHECK(client.command({"SET", "after-failover", "yes"}).text == "OK");
    acknowledged["after-failover"] = "yes";
  }
  cluster.start(static_cast<unsigned>(leader));
  const std::uint64_t commit =
      number(cluster.info(static_cast<unsigned>(new_leader), "keepdb_commit_index"));
  REQUIRE(cluster.wait_applied(static_cast<unsigned>(leader), commit));
  for (unsigned i = 0; i < 3; ++i) {
    const auto missing = missing_on(cluster.client_port(i), acknowledged);
    INFO("node " << cluster.id(i) << ": " << missing.size() << " missing, first "
                 << (missing.empty() ? "" : missing.front()));
    CHECK(missing.empty());
  }
}

TEST_CASE("cluster: a follower that missed writes catches up after a restart", "[cluster]") {
  LocalCluster cluster(3);
  const int leader = cluster.wait_for_leader();
  REQUIRE(leader >= 0);
  const unsigned follower = other_than(static_cast<unsigned>(leader), 3);
  cluster.kill9(follower);
  std::map<std::string, std::string> written;
  RawClient client(cluster.client_port(static_cast<unsigned>(leader)));
  for (int i = 0; i < 100; ++i) {
    const std::string key = "missed" + std::to_string(i);
    REQUIRE(client.command({"SET", key, "v" + std::to_string(i)}).text == "OK");
    written[key] = "v" + std::to_string(i);
  }
  const std::uint64_t commit =
      number(cluster.info(static_cast<unsigned>(leader), "keepdb_commit_index"));
  cluster.start(follower);
  REQUIRE(cluster.wait_applied(follower, commit));
  CHECK(missing_on(cluster.client_port(follower), written).empty());
}

TEST_CASE("cluster: KEEPDB.ADD brings in a node that catches up by snapshot", "[cluster]") {
  LocalCluster cluster(3, {{"snapshot_threshold", 32}, {"snapshot_trailing", 16}});
  const int leader = cluster.wait_for_leader();
  REQUIRE(leader >= 0);
  // Several times the snapshot threshold plus the trailing log: the leader's log no longer
  // starts at 1, so the newcomer must install a snapshot.
  std::map<std::string, std::string> written;
  {
    RawClient client(cluster.client_port(static_cast<unsigned>(leader)));
    for (int i = 0; i < 200; ++i) {
      const std::string key = "k" + std::to_string(i % 50);
      REQUIRE(client.command({"SET", key, std::to_string(i)}).text == "OK");
      written[key] = std::to_string(i);
    }
  }
  const unsigned joining = cluster.start_joining_node();
  RawClient admin(cluster.client_port(static_cast<unsigned>(leader)));
  const RespValue added =
      admin.command({"KEEPDB.ADD", std::to_string(cluster.id(joining)),
                     "127.0.0.1:" + std::to_string(cluster.peer_port(joining)),
                     "127.0.0.1:" + std::to_string(cluster.client_port(joining))},
                    30s);
  REQUIRE(added.text == "OK");
  CHECK(cluster.log(joining).find("replaced the key-value store by the streamed snapshot") !=
        std::string::npos);
  CHECK(missing_on(cluster.client_port(joining), written).empty());
  CHECK(admin.command({"KEEPDB.MEMBERS"}).elements.size() == 4);
}

TEST_CASE("cluster: KEEPDB.REMOVE takes a follower out and the other two still commit",
          "[cluster]") {
  LocalCluster cluster(3);
  const int leader_index = cluster.wait_for_leader();
  REQUIRE(leader_index >= 0);
  const auto leader = static_cast<unsigned>(leader_index);
  const unsigned removed = other_than(leader, 3);
  const unsigned staying = 3 - leader - removed;  // the indices are 0, 1 and 2
  std::vector<std::uint64_t> survivors{cluster.id(leader), cluster.id(staying)};
  std::sort(survivors.begin(), survivors.end());

  const auto survivors_take_writes = [&](const std::string& key) {
    for (const unsigned node : {leader, staying}) {
      RawClient client(cluster.client_port(node));
      CHECK(client.command({"SET", key, std::to_string(node)}, 20s).text == "OK");
      CHECK(client.command({"GET", key}).text == std::to_string(node));
    }
  };

  RawClient admin(cluster.client_port(leader));
  REQUIRE(admin.command({"KEEPDB.REMOVE", std::to_string(cluster.id(removed))}, 20s).text == "OK");
  CHECK(roster_on(cluster, leader).ids == survivors);
  CHECK(poll_until([&] { return roster_on(cluster, staying).ids == survivors; }, 10s));

  // Left running, the removed node never learns of its removal: it stops hearing from the
  // leader and campaigns, but pre-vote keeps it from disturbing the other two.
  const std::string term = cluster.info(leader, "keepdb_term");
  REQUIRE(poll_until([&] { return cluster.info(removed, "keepdb_role") == "candidate"; }, 10s));
  survivors_take_writes("while-removed-runs");
  CHECK(cluster.info(leader, "keepdb_term") == term);
  cluster.stop(removed);
  survivors_take_writes("after-removed-stopped");

  CHECK(admin.command({"KEEPDB.REMOVE", "99"}).text == "ERR server 99 is not a member");
  CHECK(roster_on(cluster, leader).ids == survivors);
}

TEST_CASE("cluster: KEEPDB.TRANSFER moves leadership to the named node or to one raft picks",
          "[cluster]") {
  LocalCluster cluster(3);
  const int leader_index = cluster.wait_for_leader();
  REQUIRE(leader_index >= 0);
  const auto leader = static_cast<unsigned>(leader_index);
  const unsigned target = other_than(leader, 3);

  REQUIRE(transfer_leadership(cluster, leader, cluster.id(target)).text == "OK");
  CHECK(cluster.wait_for_leader() == static_cast<int>(target));  // and every node names it
  CHECK(cluster.info(target, "keepdb_role") == "leader");
  CHECK(number(cluster.info(leader, "keepdb_leader_id")) == cluster.id(target));
  CHECK(roster_on(cluster, leader).leader == cluster.id(target));
  // The old leader now forwards writes to the new one.
  RawClient old_leader(cluster.client_port(leader));
  CHECK(old_leader.command({"SET", "after-transfer", "1"}, 20s).text == "OK");

  REQUIRE(transfer_leadership(cluster, target, std::nullopt).text == "OK");
  const int picked = cluster.wait_for_leader();
  REQUIRE(picked >= 0);
  CHECK(picked != static_cast<int>(target));

  const auto new_leader = static_cast<unsigned>(picked);
  const std::string new_id = std::to_string(cluster.id(new_leader));
  RawClient on_new_leader(cluster.client_port(new_leader));
  CHECK(on_new_leader.command({"KEEPDB.TRANSFER", "99"}).text ==
        "ERR server 99 is not a voting member");
  CHECK(on_new_leader.command({"KEEPDB.TRANSFER", new_id}).text ==
        "ERR server " + new_id + " already leads");
  RawClient on_target(cluster.client_port(target));  // a follower now, which knows the leader
  CHECK(on_target.command({"KEEPDB.TRANSFER", "99"}).text ==
        "ERR not the leader: run this on server " + new_id +
            " (127.0.0.1:" + std::to_string(cluster.client_port(new_leader)) + ")");
  CHECK(cluster.wait_for_leader() == picked);
}

TEST_CASE("cluster: a minority cannot acknowledge writes", "[cluster]") {
  LocalCluster cluster(3);
  const int leader = cluster.wait_for_leader();
  REQUIRE(leader >= 0);
  const unsigned alone = static_cast<unsigned>(leader);  // the hardest case: the old leader
  for (unsigned i = 0; i < 3; ++i) {
    if (i != alone) cluster.stop(i);
  }
  RawClient client(cluster.client_port(alone));
  for (int i = 0; i < 3; ++i) {
    const RespValue reply = client.command({"SET", "lonely" + std::to_string(i), "x"}, 20s);
    INFO(reply.describe());
    CHECK(reply.is_error());
  }
  const RespValue read = client.command({"GET", "lonely0"}, 20s);
  CHECK(read.is_error());
}

}  // namespace
}  // namespace keepdb::integration
