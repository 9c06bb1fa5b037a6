// PeerTransport: how RaftIo reaches the other servers: send one raft message to a server
// (id, address) and receive decoded messages. The TCP/TLS transport and the unit tests'
// in-memory network implement it; both carry frames of peer_codec.h.
//
// Threading: send() and set_receiver() are called from the raft thread. Send callbacks and
// the receiver run on any thread (possibly inside send()); RaftIo re-posts them to the raft
// thread. Delivery is best effort: messages may be lost, duplicated or reordered.
#pragma once

#include <functional>
#include <string>

#include "util/io_status.h"
#include "kernel/consensus/peer/owned_message.h"
#include "util/raft_c_api.h"

namespace keepdb::consensus {

class PeerTransport {
 public:
  using SendDone = std::function<void(util::IoStatus status)>;
  using Receiver = std::function<void(OwnedMessage message)>;

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
};

}  // namespace keepdb::consensus
