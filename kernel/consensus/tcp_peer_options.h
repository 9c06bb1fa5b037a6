// The settings of the TCP peer transport, shared by its listener and both connection
// directions: identity, limits on frames, queues and waits, and who counts as a member.
//
// Thread-safety: a plain value, copied into the transport at construction.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "kernel/consensus/peer_codec.h"
#include "kernel/consensus/raft_c_api.h"

namespace keepdb::consensus {

struct TcpPeerOptions {
  raft_id self_id = 0;       // this server's raft id (sent in the handshake)
  std::string self_address;  // this server's raft address, stamped on every raft frame
  std::string cluster_id;    // both sides of a connection must agree on it
  FrameLimits limits;        // the largest frame body sent or accepted
  // Outgoing frames waiting per peer: beyond either bound the oldest waiting frame fails
  // with RAFT_NOCONNECTION, so a peer that stops reading cannot grow memory. A single frame
  // larger than max_queued_bytes is still admitted when nothing else waits.
  std::size_t max_queued_frames = 256;
  std::size_t max_queued_bytes = 64u << 20;
  // Reconnects to an unreachable peer back off exponentially between these.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};
  // The handshake (both directions) must complete within this.
  std::chrono::milliseconds handshake_timeout{5000};
  // One frame write that makes no progress for this long closes the link (stalled peer).
  std::chrono::milliseconds write_timeout{5000};
  // Whether `id` is in the cluster configuration; frames from other ids are dropped.
  std::function<bool(raft_id id)> is_member;
};

}  // namespace keepdb::consensus
