// RaftReplica: this server's Raft replica as the write and read paths use it: who leads,
// whether this server may take writes, the commit and applied indexes, apply one batch,
// run one barrier, and a notification after every change. RaftNode implements it through
// RaftNodeReplica (raft_node_replica.h); the write-path unit tests implement it with a
// scripted replica on the virtual clock (tests/unit/write/fake_raft.h), so GroupCommit,
// RaftSink, Forwarder, ForwardService, ReadBarrier and the expiry sweeper are tested without
// libraft, disks or sockets.
//
// The contract is RaftNode's (raft_node.h): every call on the executor thread; callbacks
// and observers run there, never inside the call that registered them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kernel/commands/reply.h"
#include "util/raft_c_api.h"

namespace keepdb::consensus {

class RaftReplica {
 public:
  using Status = int;  // 0 or a RAFT_* code
  using ApplyDone = std::function<void(Status status, const std::vector<commands::Reply>& replies)>;
  using BarrierDone = std::function<void(Status status, raft_index index)>;

  // The leader as this server knows it: id 0 when unknown.
  struct Leader {
    raft_id id = 0;
    std::string address;  // member_address.h encoding
  };

  virtual ~RaftReplica() = default;

  virtual raft_id id() const = 0;
  virtual bool leader() const = 0;
  // A leader whose election barrier has applied: its commit index covers every entry an
  // earlier leader acknowledged.
  virtual bool ready() const = 0;
  // Consensus is RAFT_UNAVAILABLE here: the node refuses service.
  virtual bool unavailable() const = 0;
  // This server is the only voter and leads: no other leader can exist.
  virtual bool sole_voter_leader() const = 0;
  // While storage fails: the MISCONF error line writes get (without the leading '-').
  virtual std::optional<std::string> write_refusal() const = 0;
  // While the store is behind entries this node already applied and answered (a failed
  // commit dropped them, kv_fsm.h): the MISCONF error line reads get, since the store cannot
  // show those writes until the log is replayed into it.
  virtual std::optional<std::string> read_refusal() const = 0;
  virtual Leader leader_member() const = 0;
  // A member's raft address; "" when `id` is not in the configuration.
  virtual std::string address_of(raft_id id) const = 0;
  virtual raft_index commit_index() const = 0;
  virtual raft_index applied_index() const = 0;

  // Leader only: appends `batch` (op_batch.h) as one entry; `done` gets the replies of this
  // server's apply, or a RAFT_* status (RAFT_NOTLEADER, RAFT_LEADERSHIPLOST, ...).
  virtual void apply(const std::string& batch, ApplyDone done) = 0;
  // Leader only: `done` runs once a barrier entry has applied here, with its index.
  virtual void barrier(BarrierDone done) = 0;
  // Runs `observer` after every event that changed the role, the leader, readiness or the
  // applied index.
  virtual void on_change(std::function<void()> observer) = 0;
};

}  // namespace keepdb::consensus
