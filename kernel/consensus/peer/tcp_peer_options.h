// The settings of the TCP peer transport, shared by its listener and both connection
// directions: identity and the cluster secret, the optional transport (mutual TLS) and the
// certificate identity each member must present, limits on frames, connections, queues and
// waits, and who counts as a member (and at which address).
//
// Thread-safety: a plain value, copied into the transport at construction.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kernel/consensus/peer/cluster_secret.h"
#include "kernel/consensus/peer/peer_codec.h"
#include "util/raft_c_api.h"
#include "util/transport_session.h"

namespace keepdb::consensus {

struct TcpPeerOptions {
  raft_id self_id = 0;     // this server's raft id (proved in the handshake)
  std::string cluster_id;  // both sides of a connection must agree on it
  // The secret both sides prove in the handshake (peer_auth.h); never null in a transport.
  std::shared_ptr<const ClusterSecret> secret = std::make_shared<const ClusterSecret>();
  // Peer mutual TLS (`[cluster] transport`): every connection goes through a session of it,
  // accepted ones in the server role and dialled ones in the client role; the handshake
  // above then runs inside. Null: plain TCP. With it, a connection is accepted (and a link
  // used) only when the verified certificate has the identity (CN, DNS or URI SAN) that
  // member_identity returns for the member it claims to be (or was dialled as).
  std::shared_ptr<util::Transport> transport;
  std::function<std::string(raft_id id)> member_identity;
  // Bytes a transport handshake may receive before it completes (then it fails).
  std::size_t transport_handshake_max_bytes = 256u << 10;
  FrameLimits limits;  // the largest frame body sent or accepted, per type
  // Outgoing frames waiting per peer: beyond either bound the oldest waiting frame fails
  // with RAFT_NOCONNECTION, so a peer that stops reading cannot grow memory. A single frame
  // larger than max_queued_bytes is still admitted when nothing else waits.
  std::size_t max_queued_frames = 256;
  std::size_t max_queued_bytes = 64u << 20;
  // Accepted connections at once, and how many of them may still be in their handshake;
  // a connection beyond either is closed at accept.
  std::size_t max_inbound_connections = 64;
  std::size_t max_handshaking_connections = 16;
  // Reconnects to an unreachable peer back off exponentially between these.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};
  // The handshake (both directions, the transport's included) must complete within this.
  std::chrono::milliseconds handshake_timeout{5000};
  // One frame write that makes no progress for this long closes the link (stalled peer).
  std::chrono::milliseconds write_timeout{5000};
  // A frame whose header has arrived must keep arriving: no body byte for this long closes
  // the connection.
  std::chrono::milliseconds frame_timeout{5000};
  // The raft address of member `id` in the current configuration, or "" when `id` is not
  // a member: frames from non-members are dropped, and a raft message's sender address is
  // always this one, never anything the peer sent.
  std::function<std::string(raft_id id)> member_address;
};

}  // namespace keepdb::consensus
