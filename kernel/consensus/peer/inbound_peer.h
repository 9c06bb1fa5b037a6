// InboundPeer: one TCP connection accepted from another server. It must authenticate first
// (peer_auth.h), within the handshake timeout: a HELLO naming this cluster, this server as
// the one it dialled, and a member other than this server as the dialer; we answer with a
// CHALLENGE carrying our proof; its PROOF must match. Anything else closes the connection,
// with a throttled log line naming the remote address and the reason (never the secret).
// Until then only handshake frames of at most kSmallFrameBodyBytes are read. With a
// transport (peer mutual TLS) the connection's bytes go through a server session of it
// first, within the same timeout and a byte cap, and the HELLO's dialer must be the member
// whose roster identity the verified client certificate carries; refusals then name the
// identity presented.
//
// Once authenticated it reads frames: raft messages are decoded and handed to the inbox's
// raft receiver with the sender's address taken from the cluster configuration, forward
// frames to its forward receiver. A frame whose sender is no longer a member is dropped and
// logged; a malformed frame, one above its type's size limit, a raft frame claiming another
// sender id, or a frame whose body stops arriving for frame_timeout closes this connection
// only. A body is read in chunks and its buffer grows only as bytes arrive, so a declared
// length costs nothing until it is sent.
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

#include "kernel/consensus/peer/peer_transport.h"
#include "kernel/consensus/peer/tcp_peer_options.h"
#include "kernel/log/throttle.h"
#include "util/channel.h"

namespace keepdb::consensus {

// Where received frames go. Shared by the transport and its connections; the transport
// clears both functions when it closes.
struct PeerInbox {
  using ForwardReceiver =
      std::function<void(raft_id from, FrameType type, std::vector<std::uint8_t> body)>;
  PeerTransport::Receiver raft;
  ForwardReceiver forward;
  ForwardReceiver snapshot;  // snapshot frames (snapshot_frames.h)
};

class InboundPeer : public std::enable_shared_from_this<InboundPeer> {
 public:
  // `refusals` throttles the log lines of refused handshakes across all connections.
  InboundPeer(boost::asio::ip::tcp::socket socket, std::shared_ptr<const TcpPeerOptions> options,
              std::shared_ptr<PeerInbox> inbox, std::shared_ptr<log::Throttle> refusals);

  void start();
  void close(const std::string& reason);
  bool authenticated() const { return state_ == State::kAuthenticated; }
  bool closed() const { return closed_; }

 private:
  enum class State { kAwaitHello, kAwaitProof, kAuthenticated };
  // Why a frame type is not acceptable now, or nullptr when it is.
  const char* unexpected(FrameType type) const;
  void read_header();
  void on_header();
  void read_body_chunk();
  void on_body();
  void on_hello();
  void on_proof();
  void on_raft_frame(FrameType type);
  // Closes the connection because its handshake failed; the log line is throttled.
  void refuse(const std::string& reason);
  // A read failed (`what` prefixes the reason; empty between frames): refuses before
  // authentication, closes after.
  void on_error(const std::string& what, const boost::system::error_code& error);
  // (Re)arms the deadline; on expiry the connection closes with `what`.
  void arm_deadline(std::chrono::milliseconds timeout, const char* what);
  std::string describe() const;

  util::Channel channel_;
  std::shared_ptr<const TcpPeerOptions> options_;
  std::shared_ptr<PeerInbox> inbox_;
  std::shared_ptr<log::Throttle> refusals_;
  boost::asio::steady_timer deadline_;
  std::uint64_t deadline_generation_ = 0;  // a stale expiry sees a newer generation
  std::string remote_;                     // "ip:port" for log lines

  State state_ = State::kAwaitHello;
  HandshakeTranscript transcript_;
  std::array<std::uint8_t, kFrameHeaderBytes> header_in_{};
  FrameHeader header_;
  std::vector<std::uint8_t> body_in_;
  std::vector<std::uint8_t> handshake_out_;
  raft_id peer_id_ = 0;  // set once the handshake is accepted
  std::uint64_t dropped_ = 0;
  bool closed_ = false;
};

}  // namespace keepdb::consensus
