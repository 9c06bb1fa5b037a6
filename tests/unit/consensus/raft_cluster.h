// RaftCluster: N real libraft servers, each over its own RaftIo, wired to a virtual clock, an
// in-memory network and in-memory disks with faults: the deterministic harness that tests
// RaftIo against libraft itself. Before every simulated event it checks election safety (at
// most one leader per term) and state machine safety (servers applied the same commands).
//
// Thread-safety: none; everything runs on the test's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/consensus/raft/raft_io.h"
#include "tests/unit/consensus/memory_log_storage.h"
#include "tests/unit/consensus/memory_network.h"
#include "tests/unit/consensus/test_fsm.h"
#include "tests/unit/consensus/virtual_clock.h"

namespace keepdb::consensus::testing {

struct ClusterOptions {
  unsigned servers = 3;
  std::uint64_t seed = 1;
  unsigned heartbeat_timeout_ms = 100;
  unsigned election_timeout_ms = 1000;
  unsigned install_snapshot_timeout_ms = 3000;  // raft's 30 s default stalls lossy tests
  unsigned snapshot_threshold = 1024;
  unsigned snapshot_trailing = 2048;
  bool pre_vote = true;
  std::uint64_t disk_latency_ms = 3;
  NetworkFaults network;
};

class RaftCluster {
 public:
  explicit RaftCluster(const ClusterOptions& options);
  ~RaftCluster();  // closes every running server and drains its I/O

  // Bootstraps every server with the same all-voter configuration and starts them.
  void start();

  // Runs the simulation until `done()` or `max_ms` of virtual time; returns done().
  bool run_until(const std::function<bool()>& done, std::uint64_t max_ms);
  void run_for(std::uint64_t ms);

  // Index of the leader with the highest term, or -1.
  int leader();
  bool wait_for_leader(std::uint64_t max_ms = 10000);

  // Proposes `value` on server `i`; returns its log index, or 0 if raft refused it.
  raft_index propose(unsigned i, std::uint64_t value);
  // Proposes on the current leader, waiting for one; returns the index or 0.
  raft_index propose_on_leader(std::uint64_t value);
  // Waits until every server in `servers` (all when empty) applied up to `index`.
  bool wait_applied(raft_index index, std::vector<unsigned> servers = {},
                    std::uint64_t max_ms = 20000);

  // Gracefully stops server i (raft_close, I/O drained) / starts it again from its own disk,
  // with an empty FSM rebuilt from its snapshot and log.
  void stop(unsigned i);
  void start_server(unsigned i);
  void restart(unsigned i);

  struct raft& server(unsigned i) {
    return servers_[i]->raft;
  }
  const TestFsm& fsm(unsigned i) const { return servers_[i]->fsm; }
  MemoryLogStorage& storage(unsigned i) { return servers_[i]->storage; }
  MemoryNetwork& network() { return network_; }
  VirtualScheduler& scheduler() { return scheduler_; }
  unsigned size() const { return static_cast<unsigned>(servers_.size()); }
  raft_id id_of(unsigned i) const { return i + 1; }

  // Empty when no two leaders ever shared a term, else what happened.
  const std::string& safety_violation() const { return safety_violation_; }
  // One line per server (state, term, log, commit, applied, leader's view of its followers),
  // for failure messages.
  std::string describe();
  // True when every server's applied list is a prefix of the longest one.
  bool applied_consistently() const;

 private:
  struct Server {
    Server(VirtualScheduler& scheduler, MemoryNetwork& network, raft_id id,
           std::uint64_t disk_latency_ms);
    struct raft raft {};
    TestFsm fsm;
    VirtualExecutor executor;
    MemoryLogStorage storage;
    MemoryNetwork::Endpoint& transport;
    std::unique_ptr<RaftIo> io;
    bool running = false;
    bool closed = false;
  };
  struct Proposal {
    struct raft_apply request {};
    int status = -1;
  };

  void init_server(unsigned i);
  void check_safety();

  const ClusterOptions options_;
  VirtualScheduler scheduler_;
  MemoryNetwork network_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::deque<Proposal> proposals_;  // raft_apply requests stay alive until the cluster dies
  std::map<raft_term, raft_id> leader_of_term_;
  std::string safety_violation_;
};

}  // namespace keepdb::consensus::testing
