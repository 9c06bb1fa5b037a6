// RaftSink: the write path's BatchSink under consensus. Every group-committed batch
// becomes exactly one Raft log entry (GroupCommit keeps at most one in flight, the
// mitigation for libraft 0.15's commit stall).
//   - leader, ready: raft_apply; the replies come from the FSM's apply on this server;
//   - leader whose election barrier has not applied yet: the batch waits for it;
//   - follower that knows the leader: the batch is forwarded to it (forwarder.h);
//   - no leader: every command gets "TRYAGAIN no leader";
//   - storage failing (RaftNode::write_refusal): every command gets that MISCONF error; a
//     batch raft had accepted gets it too, saying the outcome is unknown;
//   - consensus UNAVAILABLE: every command gets an error saying the node refuses service.
//
// Thread-safety: the executor's thread only (the network thread, as BatchSink). Lifetime:
// the executor, the raft replica and the forwarder outlive it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "kernel/consensus/write/batch_sink.h"
#include "kernel/consensus/write/forwarder.h"
#include "kernel/consensus/write/raft_replica.h"
#include "util/executor.h"

namespace keepdb::consensus {

class RaftSink final : public BatchSink {
 public:
  RaftSink(util::Executor& executor, RaftReplica& raft, Forwarder& forwarder);

  void commit(std::string batch, std::vector<commands::Caller> callers, Done done) override;
  // A sole voter that leads writes its log inline (RaftNode::poll): no gather wait.
  bool gathers() const override { return !raft_.sole_voter_leader(); }

 private:
  struct Batch {
    std::string ops;
    std::vector<commands::Caller> callers;
  };
  void dispatch(Batch batch, Done done);
  // Answers each of `ops` commands with `error`, later on the network thread.
  void fail(std::size_t ops, const std::string& error, Done done);

  util::Executor& executor_;
  RaftReplica& raft_;
  Forwarder& forwarder_;
  std::optional<std::pair<Batch, Done>> waiting_;  // for the election barrier
};

// The error line every command gets while consensus is UNAVAILABLE.
inline constexpr char kUnavailableError[] =
    "ERR consensus unavailable on this node (see its log); it refuses service until restarted";

}  // namespace keepdb::consensus
