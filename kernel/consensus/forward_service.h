// ForwardService: the leader side of forwarding. A FORWARD write from a follower has its
// ops proposed to this server's write path (so they share group commit and the single
// raft_apply in flight with local clients) and the replies sent back in one
// FORWARD_REPLY; a FORWARD read-index request joins this server's next read round and is
// answered with its index. A server that is not the leader answers "TRYAGAIN no leader"
// instead, so requests never bounce between servers.
//
// Thread-safety: network thread only. Lifetime: every reference outlives it; replies to a
// follower that left the configuration are dropped.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernel/consensus/forward_codec.h"
#include "kernel/consensus/proposer.h"
#include "kernel/consensus/raft_node.h"
#include "kernel/consensus/read_barrier.h"
#include "kernel/consensus/tcp_peer_transport.h"

namespace keepdb::consensus {

class ForwardService {
 public:
  ForwardService(TcpPeerTransport& transport, RaftNode& raft, Proposer& proposer,
                 ReadBarrier& reads);

  // A FORWARD frame from server `from`.
  void on_request(raft_id from, std::span<const std::uint8_t> body);

 private:
  void reply(raft_id to, const ForwardReply& reply);

  TcpPeerTransport& transport_;
  RaftNode& raft_;
  Proposer& proposer_;
  ReadBarrier& reads_;
};

}  // namespace keepdb::consensus
