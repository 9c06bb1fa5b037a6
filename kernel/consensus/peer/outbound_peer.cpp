// Outgoing peer link: dial, authenticate, FIFO writes with deadlines, bounded queue, backoff.
#include "kernel/consensus/peer/outbound_peer.h"

#include <boost/asio/connect.hpp>

#include "kernel/consensus/peer/member_address.h"
#include "kernel/consensus/peer/peer_channel.h"
#include "kernel/log/log.h"

namespace keepdb::consensus {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

OutboundPeer::OutboundPeer(asio::io_context& io, std::shared_ptr<const TcpPeerOptions> options,
                           raft_id id)
    : options_(std::move(options)),
      id_(id),
      resolver_(io),
      io_(io),
      channel_(std::make_shared<util::Channel>(tcp::socket(io))),
      deadline_(io),
      backoff_timer_(io),
      backoff_(options_->reconnect_min) {}

void OutboundPeer::set_address(const std::string& peer_address) {
  if (peer_address == address_) return;
  const bool had_address = !address_.empty();
  address_ = peer_address;
  if (had_address && state_ != State::kIdle && state_ != State::kClosed) {
    fail_link(token_, "peer address changed");
  }
}

void OutboundPeer::enqueue(std::vector<std::uint8_t> frame, PeerTransport::SendDone done) {
  if (state_ == State::kClosed) {
    done(util::IoStatus::failure(RAFT_NOCONNECTION, "peer transport closed"));
    return;
  }
  while (!queue_.empty() && (queue_.size() >= options_->max_queued_frames ||
                             queued_bytes_ + frame.size() > options_->max_queued_bytes)) {
    Queued oldest = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= oldest.frame.size();
    fail(oldest, "send queue to server " + std::to_string(id_) + " is full");
  }
  queued_bytes_ += frame.size();
  queue_.push_back({std::move(frame), std::move(done)});
  if (state_ == State::kIdle) {
    connect();
  } else if (state_ == State::kReady) {
    write_next();
  }
}

void OutboundPeer::close() {
  state_ = State::kClosed;
  ++token_;
  resolver_.cancel();
  channel_->close();
  deadline_.cancel();
  backoff_timer_.cancel();
  fail_all("peer transport closed");
}

void OutboundPeer::connect() {
  const auto endpoint = split_host_port(address_);
  const Token token = ++token_;
  if (!endpoint) {
    state_ = State::kConnecting;
    fail_link(token, "invalid peer address '" + address_ + "'");
    return;
  }
  state_ = State::kConnecting;
  channel_ = std::make_shared<util::Channel>(tcp::socket(io_));
  arm_deadline(token, options_->handshake_timeout, "connect and handshake");
  resolver_.async_resolve(
      endpoint->host, std::to_string(endpoint->port),
      [self = shared_from_this(), token](const boost::system::error_code& error,
                                         const tcp::resolver::results_type& results) {
        if (token != self->token_) return;
        if (error) {
          self->fail_link(token, "cannot resolve " + self->address_ + ": " + error.message());
          return;
        }
        asio::async_connect(
            self->channel_->socket(), results,
            [self, token](const boost::system::error_code& connect_error, const tcp::endpoint&) {
              self->on_connected(token, connect_error);
            });
      });
}

void OutboundPeer::on_connected(Token token, const boost::system::error_code& error) {
  if (token != token_) return;
  if (error) {
    fail_link(token, "cannot connect to " + address_ + ": " + error.message());
    return;
  }
  boost::system::error_code ignored;
  channel_->socket().set_option(tcp::no_delay(true), ignored);
  if (const std::string problem = secure_peer_channel(*channel_, *options_, true, id_, channel_);
      !problem.empty()) {
    fail_link(token, problem, Failure::kRefusedProof);
    return;
  }
  state_ = State::kHandshaking;
  nonce_ = fresh_nonce();
  const util::IoStatus encoded = encode_hello_frame({.cluster_id = options_->cluster_id,
                                               .dialer = options_->self_id,
                                               .acceptor = id_,
                                               .nonce = nonce_},
                                              hello_out_);
  if (!encoded.ok()) {
    fail_link(token, encoded.message);
    return;
  }
  channel_->async_write(
      asio::buffer(hello_out_),
      [self = shared_from_this(), token](const boost::system::error_code& write_error,
                                         std::size_t) {
        if (token != self->token_) return;
        if (write_error) {
          self->fail_link(token, "handshake write failed: " +
                                     channel_error(*self->channel_, write_error));
        }
      });
  read_challenge_header(token);
}

void OutboundPeer::read_challenge_header(Token token) {
  channel_->async_read_exactly(
      asio::buffer(header_in_),
      [self = shared_from_this(), token](const boost::system::error_code& error, std::size_t) {
        if (token != self->token_) return;
        if (error) {
          self->fail_link(token, "no handshake challenge: " + channel_error(*self->channel_, error),
                          self->channel_->failure().empty() ? Failure::kRoutine
                                                            : Failure::kRefusedProof);
          return;
        }
        FrameHeader header;
        const util::IoStatus status =
            decode_frame_header(self->header_in_, self->options_->limits, header);
        if (!status.ok() || header.type != FrameType::kChallenge) {
          self->fail_link(token, "bad handshake challenge");
          return;
        }
        self->body_in_.resize(header.body_bytes);
        self->channel_->async_read_exactly(
            asio::buffer(self->body_in_),
            [self, token](const boost::system::error_code& body_error, std::size_t) {
              if (token != self->token_) return;
              if (body_error) {
                self->fail_link(token, "no handshake challenge: " +
                                           channel_error(*self->channel_, body_error));
                return;
              }
              self->on_challenge(token);
            });
      });
}

void OutboundPeer::on_challenge(Token token) {
  Challenge challenge;
  if (util::IoStatus status = decode_challenge_body(body_in_, challenge); !status.ok()) {
    fail_link(token, status.message);
    return;
  }
  if (const std::string refusal = identity_refusal(*channel_, *options_, id_); !refusal.empty()) {
    fail_link(token, refusal, Failure::kRefusedProof);
    return;
  }
  const HandshakeTranscript transcript{.cluster_id = options_->cluster_id,
                                       .dialer = options_->self_id,
                                       .acceptor = id_,
                                       .dialer_nonce = nonce_,
                                       .acceptor_nonce = challenge.nonce};
  if (!proof_matches(*options_->secret, Prover::kAcceptor, transcript, challenge.proof)) {
    fail_link(token,
              "it could not prove the cluster secret (wrong or missing "
              "cluster.secret_file on one side, or not server " +
                  std::to_string(id_) + " of this cluster)",
              Failure::kRefusedProof);
    return;
  }
  // Our proof goes out first, ahead of every queued frame, on the same FIFO.
  std::vector<std::uint8_t> proof;
  encode_proof_frame(compute_proof(*options_->secret, Prover::kDialer, transcript), proof);
  queued_bytes_ += proof.size();
  queue_.push_front({std::move(proof), [](util::IoStatus) {}});
  deadline_.cancel();
  state_ = State::kReady;
  backoff_ = options_->reconnect_min;
  if (!was_connected_) log::info("peer link to server ", id_, " at ", address_, " is up");
  was_connected_ = true;
  last_refusal_.clear();
  watch_for_close(token);
  write_next();
}

// The peer never sends on this link after its handshake: a read completing means it
// closed the connection (or broke the protocol).
void OutboundPeer::watch_for_close(Token token) {
  channel_->async_read_some(
      asio::buffer(unexpected_),
      [self = shared_from_this(), token](const boost::system::error_code& error, std::size_t) {
        if (token != self->token_) return;
        self->fail_link(token, error ? "closed by the peer: " + channel_error(*self->channel_, error)
                                     : std::string("unexpected bytes"));
      });
}

void OutboundPeer::write_next() {
  if (writing_ || queue_.empty() || state_ != State::kReady) return;
  in_write_ = std::move(queue_.front());
  queue_.pop_front();
  writing_ = true;
  const Token token = token_;
  arm_deadline(token, options_->write_timeout, "frame write");
  channel_->async_write(
      asio::buffer(in_write_.frame),
      [self = shared_from_this(), token](const boost::system::error_code& error, std::size_t) {
        if (token != self->token_) return;
        if (error) {
          self->fail_link(token, "write failed: " + channel_error(*self->channel_, error));
          return;
        }
        self->deadline_.cancel();
        self->writing_ = false;
        self->queued_bytes_ -= self->in_write_.frame.size();
        Queued written = std::move(self->in_write_);
        written.done(util::IoStatus::success());
        self->write_next();
      });
}

void OutboundPeer::arm_deadline(Token token, std::chrono::milliseconds timeout, const char* what) {
  deadline_.expires_after(timeout);
  deadline_.async_wait(
      [self = shared_from_this(), token, what](const boost::system::error_code& error) {
        if (error || token != self->token_) return;
        if (self->state_ == State::kReady && !self->writing_) return;  // finished just in time
        self->fail_link(token, std::string(what) + " timed out");
      });
}

void OutboundPeer::fail_link(Token token, const std::string& reason, Failure failure) {
  if (token != token_ || state_ == State::kClosed) return;
  ++token_;  // every handler of this attempt is now stale
  channel_->close();
  resolver_.cancel();
  deadline_.cancel();
  // Retries against a peer that is down stay quiet; a peer that cannot prove the secret
  // is reported even when the first attempts failed for another reason (it was not up yet).
  const bool new_refusal = failure == Failure::kRefusedProof && reason != last_refusal_;
  if (failure == Failure::kRefusedProof) last_refusal_ = reason;
  if (was_connected_ || new_refusal) {
    log::warn("peer link to server ", id_, " at ", address_, " failed: ", reason);
  } else {
    log::debug("peer link to server ", id_, " at ", address_, " failed: ", reason);
  }
  was_connected_ = false;
  fail_all("no connection to server " + std::to_string(id_) + ": " + reason);
  state_ = State::kBackoff;
  backoff_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_->reconnect_max);
  backoff_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || self->state_ != State::kBackoff) return;
    self->state_ = State::kIdle;
    if (!self->queue_.empty()) self->connect();
  });
}

void OutboundPeer::fail_all(const std::string& reason) {
  std::deque<Queued> failed = std::move(queue_);
  queue_.clear();
  if (writing_) {
    writing_ = false;
    failed.push_front(std::move(in_write_));
  }
  queued_bytes_ = 0;
  for (Queued& queued : failed) fail(queued, reason);
}

void OutboundPeer::fail(Queued& queued, const std::string& reason) {
  queued.done(util::IoStatus::failure(RAFT_NOCONNECTION, reason));
}

}  // namespace keepdb::consensus
