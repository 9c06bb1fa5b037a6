// Transactions on a real 3-node cluster: a WATCH on one node aborted by a write through
// another; a transaction sent to a follower runs on the leader with the same replies and its
// reads see its own writes; and, in rounds under a deadline, a leader killed with kill -9
// while clients pipeline MULTI ... EXEC leaves every transaction entirely applied or not at
// all, on every node once the victim has restarted and caught up.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {
namespace {

constexpr int kKeysPerTransaction = 6;

std::string tx_key(int round, std::int64_t tx, int key) {
  return "tx:" + std::to_string(round) + ":" + std::to_string(tx) + ":" + std::to_string(key);
}

// Pipelines MULTI, kKeysPerTransaction SETs and EXEC on one connection, one transaction
// after another, until the connection fails; counts the EXECs acknowledged with every OK.
class TransactionLoad {
 public:
  TransactionLoad(std::uint16_t port, int round)
      : thread_([this, port, round] { run(port, round); }) {}
  ~TransactionLoad() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  TransactionLoad(const TransactionLoad&) = delete;
  TransactionLoad& operator=(const TransactionLoad&) = delete;

  void join() {
    if (thread_.joinable()) thread_.join();
  }
  std::int64_t acknowledged() const { return acknowledged_; }
  std::int64_t attempted() const { return attempted_; }
  bool finished() const { return finished_; }

 private:
  void run(std::uint16_t port, int round) {
    try {
      RawClient client(port);
      for (std::int64_t tx = 0; !stop_; ++tx) {
        std::string requests = encode_command({"MULTI"});
        for (int k = 0; k < kKeysPerTransaction; ++k) {
          requests += encode_command({"SET", tx_key(round, tx, k), std::to_string(tx)});
        }
        requests += encode_command({"EXEC"});
        attempted_ = tx + 1;
        if (!client.send(requests)) break;
        for (int i = 0; i <= kKeysPerTransaction; ++i) client.read_reply(20s);
        const RespValue exec = client.read_reply(20s);
        if (exec.elements.size() != static_cast<std::size_t>(kKeysPerTransaction)) break;
        acknowledged_ = tx + 1;
      }
    } catch (const std::exception&) {
      // The server went away: the load ends here.
    }
    finished_ = true;
  }

  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<std::int64_t> acknowledged_{0};
  std::atomic<std::int64_t> attempted_{0};
  std::thread thread_;
};

// The transactions of `round` on `port` that are neither entirely present nor entirely
// absent, or acknowledged and absent, described for a failure message.
std::vector<std::string> torn_transactions(std::uint16_t port, int round, std::int64_t attempted,
                                           std::int64_t acknowledged) {
  RawClient client(port);
  std::vector<std::string> torn;
  for (std::int64_t tx = 0; tx < attempted; ++tx) {
    std::vector<std::string> mget{"MGET"};
    for (int k = 0; k < kKeysPerTransaction; ++k) mget.push_back(tx_key(round, tx, k));
    const RespValue values = client.command(mget);
    int present = 0;
    for (const RespValue& value : values.elements) present += value.null ? 0 : 1;
    if ((present != 0 && present != kKeysPerTransaction) ||
        (tx < acknowledged && present != kKeysPerTransaction)) {
      torn.push_back("tx " + std::to_string(tx) + ": " + std::to_string(present) + " of " +
                     std::to_string(kKeysPerTransaction) + " keys");
    }
  }
  return torn;
}

}  // namespace

TEST_CASE("cluster: a WATCH on one node is aborted by a write through another",
          "[cluster][transactions]") {
  LocalCluster cluster(3);
  const int leader = cluster.wait_for_leader();
  REQUIRE(leader >= 0);
  const unsigned follower = (static_cast<unsigned>(leader) + 1) % 3;
  const unsigned other = (static_cast<unsigned>(leader) + 2) % 3;
  RawClient watcher(cluster.client_port(follower));
  RawClient writer(cluster.client_port(other));
  REQUIRE(writer.command({"SET", "balance", "10"}).text == "OK");

  CHECK(watcher.command({"WATCH", "balance"}).text == "OK");
  CHECK(watcher.command({"GET", "balance"}).text == "10");
  REQUIRE(writer.command({"SET", "balance", "99"}).text == "OK");
  CHECK(watcher.command({"MULTI"}).text == "OK");
  CHECK(watcher.command({"SET", "balance", "20"}).text == "QUEUED");
  const RespValue aborted = watcher.command({"EXEC"});
  CHECK(aborted.null);
  CHECK(writer.command({"GET", "balance"}).text == "99");

  // Unchanged since WATCH: the transaction runs, through the follower, on every node.
  CHECK(watcher.command({"WATCH", "balance"}).text == "OK");
  CHECK(watcher.command({"MULTI"}).text == "OK");
  CHECK(watcher.command({"INCRBY", "balance", "1"}).text == "QUEUED");
  CHECK(watcher.command({"GET", "balance"}).text == "QUEUED");
  CHECK(watcher.command({"SET", "audit", "x", "NX", "XX"}).text == "QUEUED");
  const RespValue ran = watcher.command({"EXEC"});
  REQUIRE(ran.elements.size() == 3);
  CHECK(ran.elements[0].integer == 100);
  CHECK(ran.elements[1].text == "100");  // the transaction's read sees its own write
  CHECK(ran.elements[2].type == '-');
  for (unsigned node = 0; node < 3; ++node) {
    CHECK(RawClient(cluster.client_port(node)).command({"GET", "balance"}).text == "100");
  }
}

TEST_CASE("cluster: every EXEC is all or nothing across a leader kill -9",
          "[cluster][transactions]") {
  LocalCluster cluster(3);
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  for (int round = 0; round < 3 && std::chrono::steady_clock::now() < deadline; ++round) {
    INFO("round " << round);
    const int leader = cluster.wait_for_leader();
    REQUIRE(leader >= 0);
    const auto victim = static_cast<unsigned>(leader);
    std::int64_t attempted = 0;
    std::int64_t acknowledged = 0;
    {
      TransactionLoad on_leader(cluster.client_port(victim), round);
      REQUIRE(poll_until([&] { return on_leader.acknowledged() >= 20 || on_leader.finished(); },
                         30s));
      cluster.kill9(victim);
      on_leader.join();
      attempted = on_leader.attempted();
      acknowledged = on_leader.acknowledged();
    }
    CHECK(acknowledged >= 20);
    REQUIRE(cluster.wait_for_leader() >= 0);
    cluster.start(victim);
    const int new_leader = cluster.wait_for_leader();
    REQUIRE(new_leader >= 0);
    const std::uint64_t commit =
        std::stoull(cluster.info(static_cast<unsigned>(new_leader), "keepdb_commit_index"));
    for (unsigned node = 0; node < 3; ++node) {
      REQUIRE(cluster.wait_applied(node, commit));
      const auto torn = torn_transactions(cluster.client_port(node), round, attempted, acknowledged);
      INFO("node " << cluster.id(node) << ": " << torn.size() << " torn, first "
                   << (torn.empty() ? "" : torn.front()));
      CHECK(torn.empty());
    }
  }
}

}  // namespace keepdb::integration
