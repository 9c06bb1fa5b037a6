// TcpPeerTransport: the PeerTransport over plain TCP with Boost.Asio, on the node's
// io_context. Each peer gets one outgoing link (outbound_peer.h) that carries this
// server's frames to it; frames from other servers arrive on connections they opened to
// our listener (inbound_peer.h). Raft messages and forward frames (client traffic a
// follower sends to the leader, and the leader's replies, opaque here) share the link.
//
// Thread-safety: every method, every callback and every receiver runs on the io_context's
// one thread. Send callbacks may run inside send(). Lifetime: close() (or the destructor)
// stops the listener, closes every connection and fails every queued frame with
// RAFT_NOCONNECTION; handlers still queued on the io_context then do nothing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernel/consensus/peer/inbound_peer.h"
#include "kernel/consensus/peer/outbound_peer.h"
#include "kernel/consensus/peer/peer_transport.h"
#include "kernel/consensus/peer/tcp_peer_options.h"

namespace keepdb::consensus {

class TcpPeerTransport final : public PeerTransport {
 public:
  TcpPeerTransport(boost::asio::io_context& io, TcpPeerOptions options);
  ~TcpPeerTransport() override;
  TcpPeerTransport(const TcpPeerTransport&) = delete;
  TcpPeerTransport& operator=(const TcpPeerTransport&) = delete;

  // Binds the peer listener and starts accepting; port 0 picks a free port. Throws
  // std::runtime_error with a clear message when that fails. Returns the bound endpoint.
  boost::asio::ip::tcp::endpoint listen(const std::string& host, std::uint16_t port);

  void send(raft_id to_id, const std::string& to_address, const raft_message& message,
            SendDone done) override;
  void set_receiver(Receiver receiver) override;

  void send_forward(raft_id to_id, const std::string& to_address, FrameType type,
                    std::span<const std::uint8_t> body, SendDone done) override;
  void set_forward_receiver(ForwardReceiver receiver) override;
  void set_snapshot_receiver(ForwardReceiver receiver) override;

  void close();

  // Frames waiting or being written to `peer` (0 when there is no link).
  std::size_t queued_frames(raft_id peer) const;
  std::size_t queued_bytes(raft_id peer) const;

 private:
  struct Listener;
  void enqueue(raft_id to_id, const std::string& to_address, std::vector<std::uint8_t> frame,
               SendDone done);

  boost::asio::io_context& io_;
  std::shared_ptr<const TcpPeerOptions> options_;
  std::shared_ptr<PeerInbox> inbox_;
  std::shared_ptr<Listener> listener_;
  std::map<raft_id, std::shared_ptr<OutboundPeer>> peers_;
  bool closed_ = false;
};

}  // namespace keepdb::consensus
