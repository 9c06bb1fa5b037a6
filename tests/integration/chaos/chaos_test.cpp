// Chaos on a real 3-node cluster (issue 14, item 6): clients write unique keys to every
// node while the test kill -9s the leader and followers in turn and restarts them. Each
// cycle checks that the survivors keep acknowledging writes; at the end every node must hold
// every acknowledged write, no key or value that nobody wrote, and the same data as the
// others. KEEPDB_CHAOS_CYCLES sets the number of cycles (3 in the suite; bench/chaos.sh runs
// 100 on a release build).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/chaos/chaos_load.h"
#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {
namespace {

int cycles_from_environment() {
  const char* text = std::getenv("KEEPDB_CHAOS_CYCLES");
  const int cycles = text == nullptr ? 3 : std::atoi(text);
  return cycles > 0 ? cycles : 3;
}

// Every key on the node at `port` with its value: SCAN through the keyspace, then GET each
// page of keys in one pipeline.
std::map<std::string, std::string> dump(std::uint16_t port) {
  RawClient client(port);
  std::map<std::string, std::string> data;
  std::string cursor = "0";
  do {
    const RespValue page = client.command({"SCAN", cursor, "COUNT", "1000"});
    REQUIRE(page.elements.size() == 2);
    cursor = page.elements[0].text;
    std::vector<std::vector<std::string>> gets;
    for (const RespValue& key : page.elements[1].elements) gets.push_back({"GET", key.text});
    if (gets.empty()) continue;
    const std::vector<RespValue> values = client.pipeline(gets);
    for (std::size_t i = 0; i < gets.size(); ++i) data[gets[i][1]] = values[i].text;
  } while (cursor != "0");
  return data;
}

std::uint64_t commit_index(const LocalCluster& cluster, unsigned node) {
  const std::string text = cluster.info(node, "keepdb_commit_index");
  return text.empty() ? 0 : std::stoull(text);
}

TEST_CASE("chaos: kill -9 of leaders and followers under load loses and invents nothing",
          "[chaos]") {
  const int cycles = cycles_from_environment();
  LocalCluster cluster(3, {}, "chaos");
  REQUIRE(cluster.wait_for_leader(30s) >= 0);
  std::vector<std::uint16_t> ports;
  for (unsigned node = 0; node < cluster.size(); ++node) ports.push_back(cluster.client_port(node));

  ChaosLoad load(ports, 4);
  std::mt19937 random(std::random_device{}());
  for (int cycle = 0; cycle < cycles; ++cycle) {
    const int leader = cluster.wait_for_leader(30s);
    REQUIRE(leader >= 0);
    // Even cycles kill the leader, odd ones a follower.
    unsigned victim = static_cast<unsigned>(leader);
    if (cycle % 2 == 1) victim = (victim + 1 + random() % 2) % cluster.size();
    INFO("cycle " << cycle << " of " << cycles << ": kill -9 node " << cluster.id(victim)
                  << (victim == static_cast<unsigned>(leader) ? " (leader)" : " (follower)"));
    REQUIRE(load.wait_for_progress(load.acknowledged_count(), 20, 30s));
    cluster.kill9(victim);
    // Two of three keep the cluster writable.
    REQUIRE(load.wait_for_progress(load.acknowledged_count(), 20, 30s));
    cluster.start(victim);
  }

  const int leader = cluster.wait_for_leader(30s);
  REQUIRE(leader >= 0);
  REQUIRE(load.wait_for_progress(load.acknowledged_count(), 20, 30s));
  load.stop();
  const std::map<std::string, std::string> acknowledged = load.acknowledged();
  const std::map<std::string, std::string> attempted = load.attempted();
  const std::uint64_t commit = commit_index(cluster, static_cast<unsigned>(leader));
  std::vector<std::map<std::string, std::string>> nodes;
  for (unsigned node = 0; node < cluster.size(); ++node) {
    REQUIRE(cluster.wait_applied(node, commit, 30s));
    nodes.push_back(dump(cluster.client_port(node)));
  }
  INFO(cycles << " cycles, " << acknowledged.size() << " acknowledged, " << attempted.size()
              << " sent");
  for (unsigned node = 0; node < cluster.size(); ++node) {
    std::size_t lost = 0;
    for (const auto& [key, value] : acknowledged) {
      const auto found = nodes[node].find(key);
      if (found == nodes[node].end() || found->second != value) ++lost;
    }
    std::size_t invented = 0;
    for (const auto& [key, value] : nodes[node]) {
      const auto sent = attempted.find(key);
      if (sent == attempted.end() || sent->second != value) ++invented;
    }
    INFO("node " << cluster.id(node) << ": " << nodes[node].size() << " keys");
    CHECK(lost == 0);
    CHECK(invented == 0);
    // Compared by counts, so a failure prints numbers rather than 300k keys.
    std::size_t differ = 0;
    for (const auto& [key, value] : nodes[node]) {
      const auto other = nodes[0].find(key);
      if (other == nodes[0].end() || other->second != value) ++differ;
    }
    CHECK(nodes[node].size() == nodes[0].size());
    CHECK(differ == 0);
  }
  // The line bench/chaos.sh reports.
  std::cout << "chaos: " << cycles << " cycles, " << acknowledged.size() << " writes acknowledged, "
            << attempted.size() << " sent, every node checked\n";
}

}  // namespace
}  // namespace keepdb::integration
