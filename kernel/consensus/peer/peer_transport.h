// PeerTransport: how this server reaches the other servers. Two channels share one link per
// peer: raft messages (RaftIo sends one to a server (id, address) and receives decoded
// messages) and forward frames (FORWARD and FORWARD_REPLY, client traffic a follower hands
// to the leader and the answers: opaque bodies, forward_codec.h in kernel/consensus/write).
// Snapshot frames (SNAPSHOT_CHUNK and SNAPSHOT_ACK, snapshot_frames.h) go through the same
// calls as forward frames (send_forward) and arrive at their own receiver.
// The TCP transport and the unit tests' in-memory network implement it; both carry frames
// of peer_codec.h.
//
// Threading: send(), send_forward() and the set_*receiver() calls come from the thread that
// owns the caller (the raft thread for RaftIo, the network thread for the forwarding
// classes). Raft: send callbacks and the receiver run on any thread (possibly inside
// send()); RaftIo re-posts them to the raft thread. Forward frames: the forward receiver
// runs on the transport's own thread, never inside a send call (the forwarding classes run
// on that thread: the network thread for the TCP transport); send_forward()'s callback may
// run inside send_forward(). Delivery is best effort on both channels: frames may be lost,
// duplicated or reordered; a frame is delivered only from a peer that proved its identity.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "kernel/consensus/peer/owned_message.h"
#include "kernel/consensus/peer/peer_codec.h"
#include "util/io_status.h"
#include "util/raft_c_api.h"

namespace keepdb::consensus {

class PeerTransport {
 public:
  using SendDone = std::function<void(util::IoStatus status)>;
  using Receiver = std::function<void(OwnedMessage message)>;
  // A forward frame of `type` (kForward or kForwardReply) from server `from`, whose id the
  // connection proved; `body` is the frame's body.
  using ForwardReceiver =
      std::function<void(raft_id from, FrameType type, std::vector<std::uint8_t> body)>;

  virtual ~PeerTransport() = default;

  // Sends `message` to server `to_id` at `to_address`. Everything needed from `message`
  // (a stack object of raft's whose payloads may be freed right after this call) is copied
  // before returning. `done` runs exactly once: success once the frame is handed to the
  // network, RAFT_NOCONNECTION when the peer is unreachable, or another error. The
  // transport's own per-peer queue must be bounded too.
  virtual void send(raft_id to_id, const std::string& to_address, const raft_message& message,
                    SendDone done) = 0;

  // Installs the callback for messages received from peers, with server_id and the sender
  // address filled in; an empty function stops delivery. Once this returns, the previous
  // receiver is not called again.
  virtual void set_receiver(Receiver receiver) = 0;

  // Sends a forward frame of `type` (kForward or kForwardReply) carrying `body` to server
  // `to_id` at raft address `to_address`, on the same link and queue as raft messages.
  // `body` is copied before returning. `done` runs exactly once, as for send(); RAFT_INVALID
  // for a type that is neither a forward nor a snapshot frame, RAFT_TOOBIG for a body above
  // the frame limit.
  virtual void send_forward(raft_id to_id, const std::string& to_address, FrameType type,
                            std::span<const std::uint8_t> body, SendDone done) = 0;

  // Installs the callback for forward frames received from peers; an empty function stops
  // delivery. Once this returns, the previous receiver is not called again.
  virtual void set_forward_receiver(ForwardReceiver receiver) = 0;

  // The same for snapshot frames; they arrive on the transport's thread like forward frames.
  virtual void set_snapshot_receiver(ForwardReceiver receiver) = 0;
};

}  // namespace keepdb::consensus
