// WriteCluster: the write and read paths of N servers on one virtual clock, with nothing
// else: each server runs the real GroupCommit, RaftSink, Forwarder, ReadBarrier and
// ForwardService (kernel/consensus/write) on a VirtualExecutor, over a FakeRaftGroup
// replica (fake_raft.h) and an endpoint of the in-memory peer network
// (tests/unit/consensus/memory_network.h) that carries the forward frames. Clients are
// names; what they get back, each batch group commit hands to raft, and the fake raft's
// appends, commits and elections go to one event log, a line each, stamped with the time
// since the cluster started ("2.000 n1 c1 <- :1").
//
// Thread-safety: none; the test's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/commands/caller.h"
#include "kernel/commands/node_context.h"
#include "kernel/commands/reply.h"
#include "kernel/consensus/write/forward_service.h"
#include "kernel/consensus/write/forwarder.h"
#include "kernel/consensus/write/group_commit.h"
#include "kernel/consensus/write/raft_sink.h"
#include "kernel/consensus/write/read_barrier.h"
#include "tests/unit/consensus/memory_network.h"
#include "tests/unit/consensus/virtual_clock.h"
#include "tests/unit/write/fake_raft.h"

namespace keepdb::consensus::testing {

struct WriteClusterOptions {
  std::size_t nodes = 1;  // ids 1..nodes
  FakeRaftOptions raft;
  std::chrono::microseconds max_gather_wait{1000};
  std::chrono::milliseconds forward_timeout{10000};
  std::chrono::milliseconds read_timeout{5000};
  std::uint64_t network_delay_ms = 1;  // each forward frame, one way
  std::uint64_t seed = 1;
};

inline WriteClusterOptions options_for(std::size_t nodes) {
  WriteClusterOptions options;
  options.nodes = nodes;
  return options;
}

// "+OK", ":3", "-ERR ...", "$bytes", "(nil)".
std::string describe_reply(const commands::Reply& reply);

class WriteCluster;

// One server's write path; members in construction order.
class WriteNode {
 public:
  WriteNode(WriteCluster& cluster, raft_id id, const WriteClusterOptions& options);

  raft_id id() const { return id_; }
  VirtualExecutor& executor() { return executor_; }
  FakeReplica& replica() { return replica_; }
  MemoryNetwork::Endpoint& endpoint() { return endpoint_; }
  Forwarder& forwarder() { return forwarder_; }
  RaftSink& sink() { return sink_; }
  GroupCommit& group_commit() { return group_commit_; }
  ReadBarrier& reads() { return reads_; }
  ForwardService& service() { return service_; }
  commands::ServerStats& stats() { return stats_; }

 private:
  // Reports each batch GroupCommit hands off, then passes it to the RaftSink.
  class TracedSink final : public BatchSink {
   public:
    TracedSink(WriteCluster& cluster, raft_id id, BatchSink& inner)
        : cluster_(cluster), id_(id), inner_(inner) {}
    void commit(std::string batch, std::vector<commands::Caller> callers, Done done) override;

   private:
    WriteCluster& cluster_;
    raft_id id_;
    BatchSink& inner_;
  };

  const raft_id id_;
  VirtualExecutor executor_;
  FakeReplica& replica_;
  MemoryNetwork::Endpoint& endpoint_;
  commands::ServerStats stats_;
  Forwarder forwarder_;
  RaftSink sink_;
  TracedSink traced_sink_;
  GroupCommit group_commit_;
  ReadBarrier reads_;
  ForwardService service_;
};

class WriteCluster {
 public:
  explicit WriteCluster(WriteClusterOptions options);
  // `nodes` servers with the default options.
  explicit WriteCluster(std::size_t nodes) : WriteCluster(options_for(nodes)) {}
  ~WriteCluster();

  VirtualScheduler& scheduler() { return scheduler_; }
  FakeRaftGroup& raft() { return raft_; }
  MemoryNetwork& network() { return network_; }
  WriteNode& node(raft_id id) { return *nodes_.at(id); }
  std::size_t size() const { return nodes_.size(); }

  // Elects `id` and runs until its election barrier has applied everywhere (no events).
  void elect_and_settle(raft_id id);

  // A client of server `node` sends a write (as a connection does after admission); its
  // reply goes to the event log as "n<node> <client> <- <reply>".
  void write(raft_id node, const std::string& client, const std::vector<std::string>& args,
             const commands::Caller& caller = {"default", commands::kAllRoles});
  // A client of server `node` waits for a linearizable read; "n<node> <client> <- read at #i"
  // or "<- -<error>".
  void read(raft_id node, const std::string& client);

  // Runs the scheduler for `us` microseconds / until nothing is left (at most `max_ms`).
  void run_for_us(std::uint64_t us) { scheduler_.run_for_us(us); }
  void settle(std::uint64_t max_ms = 60'000);

  // Adds "<time> <line>" to the event log.
  void note(const std::string& line);
  // The event log since the last call.
  std::vector<std::string> take_events();
  // Microseconds since the cluster started.
  std::uint64_t elapsed_us() const { return scheduler_.now_us() - start_us_; }

 private:
  VirtualScheduler scheduler_;
  const std::uint64_t start_us_;
  FakeRaftGroup raft_;
  MemoryNetwork network_;
  std::vector<std::string> events_;
  std::map<raft_id, std::unique_ptr<WriteNode>> nodes_;
};

}  // namespace keepdb::consensus::testing
