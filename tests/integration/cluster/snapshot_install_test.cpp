// Streamed snapshot install on real keepd processes (issue 11, item 2): a 3-node cluster
// holding many keys (KEEPDB_SNAPSHOT_TEST_KEYS, 50000 by default; raise it for a manual
// run) adds a fourth node while a client keeps writing. The newcomer gets the leader's state
// as a chunked stream and then serves the same data. One test cuts the stream's connection
// (a PeerProxy in front of the newcomer) while it is under way: the install completes once
// the link is back, with nothing corrupt. The other restarts a follower that fell behind the
// leader's log and kills it with SIGKILL while it receives the state: it restarts cleanly
// from what it had (its old store; the partial file is discarded) and catches up.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/chaos/peer_proxy.h"
#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {
namespace {

int key_count() {
  const char* configured = std::getenv("KEEPDB_SNAPSHOT_TEST_KEYS");
  return configured != nullptr ? std::atoi(configured) : 50000;
}

std::string loaded_key(int i) { return "load:" + std::to_string(i); }
std::string loaded_value(int i) { return std::string(64, static_cast<char>('a' + i % 26)) + std::to_string(i); }

// SETs `count` keys on `port`, pipelined kLoadPipeline at a time: each pipeline is about one
// raft entry, so the leader's log grows well past the snapshot threshold and the trailing
// entries it keeps, and a newcomer must install a snapshot.
constexpr int kLoadPipeline = 40;

void load(std::uint16_t port, int count) {
  RawClient client(port);
  for (int first = 0; first < count; first += kLoadPipeline) {
    std::vector<std::vector<std::string>> batch;
    for (int i = first; i < std::min(count, first + kLoadPipeline); ++i) {
      batch.push_back({"SET", loaded_key(i), loaded_value(i)});
    }
    for (const RespValue& reply : client.pipeline(batch, 60s)) REQUIRE(reply.text == "OK");
  }
}

// A client writing to the leader until stopped, remembering what was acknowledged.
class Writer {
 public:
  explicit Writer(std::uint16_t port)
      : thread_([this, port] {
          try {
            RawClient client(port);
            for (int i = 0; !stop_; ++i) {
              const std::string key = "live:" + std::to_string(i % 500);
              if (client.command({"SET", key, std::to_string(i)}, 30s).text != "OK") break;
              acknowledged_[key] = std::to_string(i);
            }
          } catch (const std::exception&) {
            failed_ = true;
          }
        }) {}
  // Stops and returns what was acknowledged.
  std::map<std::string, std::string> finish() {
    stop_ = true;
    thread_.join();
    CHECK_FALSE(failed_);
    return acknowledged_;
  }

 private:
  std::atomic<bool> stop_{false};
  bool failed_ = false;
  std::map<std::string, std::string> acknowledged_;
  std::thread thread_;  // last: starts once the members above exist
};

// Adds `node` to the cluster through the leader (its roster peer port, maybe a proxy).
void add(LocalCluster& cluster, unsigned leader, unsigned node) {
  RawClient admin(cluster.client_port(leader));
  const RespValue added = admin.command(
      {"KEEPDB.ADD", std::to_string(cluster.id(node)),
       "127.0.0.1:" + std::to_string(cluster.roster_peer_port(node)),
       "127.0.0.1:" + std::to_string(cluster.client_port(node))},
      60s);
  REQUIRE(added.text == "OK");
}

// Once `node` applied what the leader has, it holds every loaded key, every acknowledged
// live write and as many keys as the leader.
void check_same_data(LocalCluster& cluster, unsigned leader, unsigned node, int keys,
                     const std::map<std::string, std::string>& live) {
  const std::uint64_t applied = std::stoull(cluster.info(leader, "keepdb_applied_index"));
  REQUIRE(cluster.wait_applied(node, applied, 60s));
  RawClient on_leader(cluster.client_port(leader));
  RawClient on_node(cluster.client_port(node));
  CHECK(on_node.command({"DBSIZE"}).integer == on_leader.command({"DBSIZE"}).integer);
  std::vector<std::vector<std::string>> gets;
  std::vector<std::string> expected;
  for (int i = 0; i < keys; i += 97) {
    gets.push_back({"GET", loaded_key(i)});
    expected.push_back(loaded_value(i));
  }
  for (const auto& [key, value] : live) {
    gets.push_back({"GET", key});
    expected.push_back(value);
  }
  const std::vector<RespValue> replies = on_node.pipeline(gets, 60s);
  int wrong = 0;
  for (std::size_t i = 0; i < replies.size(); ++i) wrong += replies[i].text != expected[i];
  CHECK(wrong == 0);
}

bool log_has(const LocalCluster& cluster, unsigned node, const std::string& text) {
  return cluster.log(node).find(text) != std::string::npos;
}

// Frequent snapshots; the trailing log covers the writes that arrive while an install is
// under way, so the newcomer continues from the log after it.
const IntegerKeys kCompactOften = {{"snapshot_threshold", 64}, {"snapshot_trailing", 1024}};

TEST_CASE("snapshot install: a node added under writes gets the state streamed; a cut stream completes on retry",
          "[snapshot_install]") {
  const int keys = key_count();
  LocalCluster cluster(3, kCompactOften, "snapshot-install");
  const int leader_index = cluster.wait_for_leader();
  REQUIRE(leader_index >= 0);
  const auto leader = static_cast<unsigned>(leader_index);
  load(cluster.client_port(leader), keys);

  std::unique_ptr<PeerProxy> proxy;
  const unsigned joining = cluster.start_joining_node([&](std::uint16_t peer_port) {
    proxy = std::make_unique<PeerProxy>(peer_port);
    return proxy->port();
  });
  Writer writer(cluster.client_port(leader));
  std::thread cut([&] {
    // As soon as the stream starts, cut the leader's link to the newcomer for a while.
    if (poll_until([&] { return log_has(cluster, joining, "receiving the key-value state"); },
                   60s, 5ms)) {
      proxy->block(cluster.id(leader));
      poll_until([&] { return log_has(cluster, leader, "dropped at byte"); }, 30s);
      proxy->unblock_all();
    }
  });
  add(cluster, leader, joining);
  cut.join();
  const auto live = writer.finish();

  CHECK(log_has(cluster, leader, "dropped at byte"));  // the cut hit the stream
  CHECK(log_has(cluster, joining, "checksum verified, durable"));
  CHECK(log_has(cluster, joining, "replaced the key-value store by the streamed snapshot"));
  CHECK_FALSE(log_has(cluster, joining, "refusing"));
  check_same_data(cluster, leader, joining, keys, live);
}

TEST_CASE("snapshot install: a follower killed -9 mid-install restarts cleanly and catches up",
          "[snapshot_install]") {
  const int keys = key_count();
  LocalCluster cluster(3, kCompactOften, "snapshot-kill");
  const int leader_index = cluster.wait_for_leader();
  REQUIRE(leader_index >= 0);
  const auto leader = static_cast<unsigned>(leader_index);
  // A follower that is down while the keys arrive comes back behind the leader's log, so
  // it needs the leader's state; it has a store of its own to restart from.
  const unsigned follower = (leader + 1) % cluster.size();
  load(cluster.client_port(leader), 100);
  REQUIRE(cluster.stop(follower).exited_normally(0));
  load(cluster.client_port(leader), keys);

  Writer writer(cluster.client_port(leader));
  cluster.start(follower);
  REQUIRE(poll_until([&] { return log_has(cluster, follower, "receiving the key-value state"); },
                     60s, 5ms));
  cluster.kill9(follower);
  const bool completed_before_kill = log_has(cluster, follower, "checksum verified, durable");
  cluster.start(follower);  // a fresh log: what it says is about this run only
  REQUIRE(poll_until(
      [&] { return log_has(cluster, follower, "replaced the key-value store by the streamed snapshot"); },
      60s));
  const auto live = writer.finish();
  CHECK_FALSE(log_has(cluster, follower, "refusing"));
  if (!completed_before_kill) CHECK(log_has(cluster, follower, "received the key-value state"));
  check_same_data(cluster, leader, follower, keys, live);
}

}  // namespace
}  // namespace keepdb::integration
