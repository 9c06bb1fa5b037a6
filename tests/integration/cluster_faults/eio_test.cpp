// Issue 14: a disk error (EIO) while a node persists its Raft term or vote stops that node
// cleanly. A real 3-node cluster; one follower runs with eio_preload.c, which fails its
// raft/data.mdb (where term and vote live) with EIO once a trigger file exists. A leadership
// transfer makes the follower persist a new term: it logs the file and the errno and exits
// with status 1 (not a signal: no abort, no core dump), the other two keep committing, and
// restarted on a healthy disk it catches up with every acknowledged write.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/harness/raw_client.h"

#if !defined(KEEPDB_EIO_PRELOAD)
#error "KEEPDB_EIO_PRELOAD is set by tests/integration/cluster_faults/CMakeLists.txt"
#endif

namespace keepdb::integration {
namespace {

// Sets environment variables for the keepd processes started in its scope, then restores
// them. Only while no other thread reads the environment (the test's own thread only).
class ScopedEnvironment {
 public:
  void set(const std::string& name, const std::string& value) {
    const char* old = std::getenv(name.c_str());
    saved_.push_back({name, old != nullptr, old != nullptr ? old : ""});
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnvironment() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->had) {
        ::setenv(it->name.c_str(), it->value.c_str(), 1);
      } else {
        ::unsetenv(it->name.c_str());
      }
    }
  }

 private:
  struct Saved {
    std::string name;
    bool had;
    std::string value;
  };
  std::vector<Saved> saved_;
};

// KEEPDB.TRANSFER to `id` on the leader, repeated while leadership did not move.
bool transfer(const LocalCluster& cluster, unsigned leader, std::uint64_t id) {
  RawClient client(cluster.client_port(leader));
  return poll_until(
      [&] {
        return client.command({"KEEPDB.TRANSFER", std::to_string(id)}, 20s).text == "OK";
      },
      30s);
}

}  // namespace

TEST_CASE("cluster faults: EIO persisting the term stops the node cleanly and loses nothing",
          "[cluster][eio]") {
  LocalCluster cluster(3, {}, "eio-term");
  int leader_index = cluster.wait_for_leader();
  REQUIRE(leader_index >= 0);
  const auto leader = static_cast<unsigned>(leader_index);
  const unsigned victim = leader == 0 ? 1 : 0;
  const unsigned successor = 3 - leader - victim;
  const std::filesystem::path trigger = cluster.dir() / "eio-on";

  cluster.stop(victim);
  {
    ScopedEnvironment environment;
    environment.set("LD_PRELOAD", KEEPDB_EIO_PRELOAD);
    environment.set("KEEPDB_EIO_TRIGGER", trigger.string());
    environment.set("KEEPDB_EIO_SUFFIX", "/raft/data.mdb");
    // The sanitizers' runtime must otherwise come first among the preloaded libraries.
    const char* asan = std::getenv("ASAN_OPTIONS");
    environment.set("ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") +
                                        (asan != nullptr && *asan ? ":" : "") +
                                        "verify_asan_link_order=0");
    cluster.start(victim);
  }
  REQUIRE(cluster.wait_for_leader() == leader_index);

  RawClient writer(cluster.client_port(leader));
  std::vector<std::string> acknowledged;
  for (int i = 0; i < 200; ++i) {
    const std::string key = "before-" + std::to_string(i);
    if (writer.command({"SET", key, "v" + key}).text == "OK") acknowledged.push_back(key);
  }
  REQUIRE(acknowledged.size() == 200);
  REQUIRE(cluster.wait_applied(victim, std::stoull(cluster.info(leader, "keepdb_commit_index"))));

  write_file(trigger, "");
  REQUIRE(transfer(cluster, leader, cluster.id(successor)));
  REQUIRE(poll_until([&] { return !cluster.running(victim); }, 30s));
  const ExitStatus status = cluster.stop(victim);
  INFO(status.describe() << "\n" << cluster.log(victim));
  CHECK(status.exited_normally(1));
  const std::string log = cluster.log(victim);
  const std::filesystem::path file =
      cluster.dir() / ("data" + std::to_string(victim + 1)) / "raft" / "data.mdb";
  CHECK_THAT(log, Catch::Contains("cannot write the raft log: raft log store " + file.string() +
                                  ": persist the term "));
  CHECK_THAT(log, Catch::Contains("Input/output error (errno 5 EIO)"));
  CHECK_THAT(log, Catch::Contains("exiting: only a restart"));

  // The other two commit on; the victim, restarted without the fault, catches up.
  leader_index = cluster.wait_for_leader();
  REQUIRE(leader_index >= 0);
  RawClient after(cluster.client_port(static_cast<unsigned>(leader_index)));
  for (int i = 0; i < 50; ++i) {
    const std::string key = "after-" + std::to_string(i);
    if (after.command({"SET", key, "v" + key}).text == "OK") acknowledged.push_back(key);
  }
  REQUIRE(acknowledged.size() == 250);
  std::filesystem::remove(trigger);
  cluster.start(victim);
  REQUIRE(cluster.wait_for_leader() >= 0);
  REQUIRE(cluster.wait_applied(
      victim, std::stoull(cluster.info(static_cast<unsigned>(leader_index), "keepdb_commit_index"))));
  for (unsigned node = 0; node < 3; ++node) {
    RawClient reader(cluster.client_port(node));
    for (const std::string& key : acknowledged) {
      INFO("node " << node + 1 << " key " << key);
      CHECK(reader.command({"GET", key}).text == "v" + key);
    }
  }
}

}  // namespace keepdb::integration
