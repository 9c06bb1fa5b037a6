// InboundPeer: one TCP connection accepted from another server. The first frame must be
// its handshake, within the handshake timeout: same cluster id and a member's node id,
// otherwise the connection is logged and closed. We answer with our own handshake, then
// read frames: raft messages are decoded and handed to the inbox's raft receiver, forward
// frames to its forward receiver. A frame whose sender is no longer a member is dropped and
// logged; a malformed or oversized frame, or a raft frame claiming another sender id,
// closes this connection only.
//
// Thread-safety: everything runs on the io_context's one thread. Lifetime: held by
// shared_ptr; pending reads keep it alive; close() ends it.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernel/consensus/peer_transport.h"
#include "kernel/consensus/tcp_peer_options.h"

namespace keepdb::consensus {

// Where received frames go. Shared by the transport and its connections; the transport
// clears both functions when it closes.
struct PeerInbox {
  using ForwardReceiver =
      std::function<void(raft_id from, FrameType type, std::vector<std::uint8_t> body)>;
  PeerTransport::Receiver raft;
  ForwardReceiver forward;
};

class InboundPeer : public std::enable_shared_from_this<InboundPeer> {
 public:
  InboundPeer(boost::asio::ip::tcp::socket socket, std::shared_ptr<const TcpPeerOptions> options,
              std::shared_ptr<PeerInbox> inbox);

  void start();
  void close(const std::string& reason);

 private:
  void read_header();
  void on_header();
  void on_body();
  void on_handshake();
  void on_raft_frame(FrameType type);
  std::string describe() const;

  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<const TcpPeerOptions> options_;
  std::shared_ptr<PeerInbox> inbox_;
  boost::asio::steady_timer handshake_deadline_;
  std::string remote_;  // "ip:port" for log lines

  std::array<std::uint8_t, kFrameHeaderBytes> header_in_{};
  FrameHeader header_;
  std::vector<std::uint8_t> body_in_;
  std::vector<std::uint8_t> handshake_out_;
  raft_id peer_id_ = 0;  // set once the handshake is accepted
  std::uint64_t dropped_ = 0;
  bool closed_ = false;
};

}  // namespace keepdb::consensus
