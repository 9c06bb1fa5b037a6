// OutboundPeer: this server's one outgoing TCP link to one peer. It connects (with
// exponential backoff after failures) and authenticates (peer_auth.h): it sends a HELLO
// naming the server it dials, checks the CHALLENGE's proof that the peer holds the cluster
// secret before it proves itself with a PROOF, then writes queued frames in FIFO order, one
// at a time (the PROOF first). The queue is bounded in frames and bytes: the oldest waiting
// frame fails with RAFT_NOCONNECTION when it overflows. A handshake or frame write that
// does not finish in time, any byte received after the handshake, or a socket error ends
// the link: every queued frame fails with RAFT_NOCONNECTION and a reconnect is scheduled
// for when the next frame arrives.
//
// With a transport (peer mutual TLS) the link's bytes go through a client session of it,
// opened with the peer's roster identity as the expected server name, within the handshake
// timeout; before proving anything the link checks that the server's verified certificate
// carries that identity (a mismatch is logged like a refused proof: once per reason).
//
// Thread-safety: everything runs on the io_context's one thread. Lifetime: held by
// shared_ptr; pending operations keep it alive. close() fails everything and stops it.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "kernel/consensus/peer/peer_transport.h"
#include "kernel/consensus/peer/tcp_peer_options.h"
#include "util/channel.h"

namespace keepdb::consensus {

class OutboundPeer : public std::enable_shared_from_this<OutboundPeer> {
 public:
  OutboundPeer(boost::asio::io_context& io, std::shared_ptr<const TcpPeerOptions> options,
               raft_id id);

  // The peer's "host:port"; a change ends the current link (the next frame redials).
  void set_address(const std::string& peer_address);
  // Queues one encoded frame; `done` runs once it is written or has failed.
  void enqueue(std::vector<std::uint8_t> frame, PeerTransport::SendDone done);
  // Fails every queued frame and stops for good.
  void close();

  std::size_t queued_frames() const { return queue_.size() + (writing_ ? 1 : 0); }
  std::size_t queued_bytes() const { return queued_bytes_; }

 private:
  enum class State { kIdle, kConnecting, kHandshaking, kReady, kBackoff, kClosed };
  struct Queued {
    std::vector<std::uint8_t> frame;
    PeerTransport::SendDone done;
  };
  using Token = std::uint64_t;  // identifies one connection attempt; stale handlers see a newer one

  void connect();
  void on_connected(Token token, const boost::system::error_code& error);
  void read_challenge_header(Token token);
  void on_challenge(Token token);
  void watch_for_close(Token token);
  void write_next();
  void arm_deadline(Token token, std::chrono::milliseconds timeout, const char* what);
  // Why a link failed, for the log: a refused proof of the cluster secret (or a refused
  // certificate or identity) is a security event, logged at WARN each time the reason
  // changes even if the link was never up.
  enum class Failure : std::uint8_t { kRoutine, kRefusedProof };
  void fail_link(Token token, const std::string& reason, Failure failure = Failure::kRoutine);
  void fail_all(const std::string& reason);
  void fail(Queued& queued, const std::string& reason);

  std::shared_ptr<const TcpPeerOptions> options_;
  const raft_id id_;
  std::string address_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::io_context& io_;
  std::shared_ptr<util::Channel> channel_;  // one per connection attempt (its own owner)
  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer backoff_timer_;
  std::chrono::milliseconds backoff_;

  State state_ = State::kIdle;
  Token token_ = 0;
  bool was_connected_ = true;  // log the first failure after a success only
  std::string last_refusal_;   // the refused-proof reason last logged; cleared once up
  std::vector<std::uint8_t> hello_out_;
  Nonce nonce_{};  // this attempt's dialer nonce
  std::array<std::uint8_t, kFrameHeaderBytes> header_in_{};
  std::vector<std::uint8_t> body_in_;
  std::array<std::uint8_t, 1> unexpected_{};

  std::deque<Queued> queue_;
  Queued in_write_;
  bool writing_ = false;
  std::size_t queued_bytes_ = 0;  // queue_ plus the frame being written
};

}  // namespace keepdb::consensus
