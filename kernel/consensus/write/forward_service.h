// ForwardService: the leader side of forwarding. Each op of a FORWARD write from a follower
// is admitted again here for the caller the follower names (commands::admit, the same rules
// as for this server's own clients: a known write command, its arity, the caller's roles,
// its arguments), so a follower cannot get an op past the leader that its client could not
// send directly; refused ops get their error reply, the others are proposed to this server's
// write path (so they share group commit and the single raft_apply in flight with local
// clients), and the replies go back in one FORWARD_REPLY; a FORWARD read-index request joins this
// server's next read round and is answered with its index. A server that is not the leader answers
// "TRYAGAIN no leader" instead, so requests never bounce between servers.
//
// Thread-safety: network thread only. Lifetime: every reference outlives it; replies to a
// follower that left the configuration are dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernel/commands/audit.h"
#include "kernel/consensus/write/forward_codec.h"
#include "kernel/commands/proposer.h"
#include "kernel/consensus/peer/peer_transport.h"
#include "kernel/consensus/write/raft_replica.h"
#include "kernel/consensus/write/read_barrier.h"
#include "kernel/log/throttle.h"

namespace keepdb::consensus {

class ForwardService {
 public:
  ForwardService(PeerTransport& transport, RaftReplica& raft, commands::Proposer& proposer,
                 ReadBarrier& reads);

  // Records each admitted forwarded write with the principal the follower named (a write
  // the leader refuses for lack of a role as denied_role), and refuses them while `audit`
  // refuses (null: no audit configured).
  void set_audit(commands::AuditLog* audit) { audit_ = audit; }

  // A FORWARD frame from server `from`.
  void on_request(raft_id from, std::span<const std::uint8_t> body);

 private:
  // The error to reply instead of proposing `op` for `caller`, or nullopt to propose it.
  std::optional<std::string> readmit(raft_id from, commands::Args op,
                                     const commands::Caller& caller);
  void reply(raft_id to, const ForwardReply& reply);

  PeerTransport& transport_;
  RaftReplica& raft_;
  commands::Proposer& proposer_;
  ReadBarrier& reads_;
  log::Throttle refusals_;  // log lines of refused forwarded ops
  commands::AuditLog* audit_ = nullptr;
};

}  // namespace keepdb::consensus
