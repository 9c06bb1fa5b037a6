// Incoming peer connection: authentication, then bounded, chunked frame reading and delivery.
#include "kernel/consensus/peer/inbound_peer.h"

#include <algorithm>

#include "kernel/consensus/peer/peer_channel.h"
#include "kernel/log/log.h"

namespace keepdb::consensus {

namespace asio = boost::asio;

namespace {
// A body is read this much at a time, so its buffer follows the bytes that arrived.
constexpr std::size_t kBodyChunkBytes = 64u << 10;
}  // namespace

InboundPeer::InboundPeer(asio::ip::tcp::socket socket,
                         std::shared_ptr<const TcpPeerOptions> options,
                         std::shared_ptr<PeerInbox> inbox, std::shared_ptr<log::Throttle> refusals)
    : channel_(std::move(socket)),
      options_(std::move(options)),
      inbox_(std::move(inbox)),
      refusals_(std::move(refusals)),
      deadline_(channel_.socket().get_executor()) {
  boost::system::error_code error;
  const auto remote = channel_.socket().remote_endpoint(error);
  remote_ = error ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
  channel_.socket().set_option(asio::ip::tcp::no_delay(true), error);
}

std::string InboundPeer::describe() const {
  const std::string identity = presented_identity(channel_);
  return "peer connection from " + remote_ +
         (peer_id_ != 0 ? " (server " + std::to_string(peer_id_) + ")" : std::string()) +
         (identity.empty() ? std::string() : " (certificate identity '" + identity + "')");
}

void InboundPeer::start() {
  arm_deadline(options_->handshake_timeout, "no authenticated handshake in time");
  if (const std::string problem = secure_peer_channel(channel_, *options_, false, 0, weak_from_this());
      !problem.empty()) {
    refuse(problem);
    return;
  }
  read_header();
}

void InboundPeer::on_error(const std::string& what, const boost::system::error_code& error) {
  // An end of stream between frames is a close; inside one, `what` names the truncation.
  const bool between_frames = what.empty() && error == asio::error::eof;
  const std::string reason = what + channel_error(channel_, error);
  if (authenticated()) {
    close(between_frames ? "" : reason);
  } else {
    refuse(between_frames ? "closed before authenticating" : reason);
  }
}

void InboundPeer::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty()) log::warn("closing ", describe(), ": ", reason);
  deadline_.cancel();
  channel_.close();
}

void InboundPeer::refuse(const std::string& reason) {
  if (const auto dropped = refusals_->admit()) {
    log::warn("refused ", describe(), ": ", reason,
              *dropped > 0 ? " (" + std::to_string(*dropped) + " similar lines not logged)" : "");
  }
  close("");
}

void InboundPeer::arm_deadline(std::chrono::milliseconds timeout, const char* what) {
  const std::uint64_t generation = ++deadline_generation_;
  deadline_.expires_after(timeout);
  deadline_.async_wait(
      [self = shared_from_this(), generation, what](const boost::system::error_code& error) {
        if (error || generation != self->deadline_generation_ || self->closed_) return;
        if (self->authenticated()) {
          self->close(what);
        } else {
          self->refuse(what);
        }
      });
}

void InboundPeer::read_header() {
  channel_.async_read_exactly(
      asio::buffer(header_in_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        if (self->closed_) return;
        if (error) return self->on_error("", error);
        self->on_header();
      });
}

const char* InboundPeer::unexpected(FrameType type) const {
  switch (state_) {
    case State::kAwaitHello:
      return type == FrameType::kHello ? nullptr : "the first frame is not a hello";
    case State::kAwaitProof:
      return type == FrameType::kProof ? nullptr : "expected the handshake proof";
    case State::kAuthenticated:
      return is_handshake_frame(type) ? "handshake frame after the handshake" : nullptr;
  }
  return "unknown state";
}

void InboundPeer::on_header() {
  util::IoStatus status = decode_frame_header(header_in_, options_->limits, header_);
  const char* problem = status.ok() ? unexpected(header_.type) : nullptr;
  if (!status.ok() || problem != nullptr) {
    const std::string reason = status.ok() ? std::string(problem) : status.message;
    if (authenticated()) {
      close(reason);
    } else {
      refuse(reason);
    }
    return;
  }
  body_in_.clear();
  if (authenticated()) arm_deadline(options_->frame_timeout, "a frame stopped arriving");
  read_body_chunk();
}

void InboundPeer::read_body_chunk() {
  const std::size_t have = body_in_.size();
  if (have == header_.body_bytes) {
    on_body();
    return;
  }
  const std::size_t chunk =
      static_cast<std::size_t>(std::min<std::uint64_t>(kBodyChunkBytes, header_.body_bytes - have));
  body_in_.resize(have + chunk);
  channel_.async_read_exactly(
      asio::buffer(body_in_.data() + have, chunk),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        if (self->closed_) return;
        if (error) {
          return self->on_error(self->authenticated() ? "truncated frame: " : "truncated handshake: ",
                                error);
        }
        if (self->authenticated()) {
          self->arm_deadline(self->options_->frame_timeout, "a frame stopped arriving");
        }
        self->read_body_chunk();
      });
}

void InboundPeer::on_body() {
  switch (state_) {
    case State::kAwaitHello:
      on_hello();
      break;
    case State::kAwaitProof:
      on_proof();
      break;
    case State::kAuthenticated:
      ++deadline_generation_;  // the frame is complete: no deadline while idle
      deadline_.cancel();
      if (is_forward_frame(header_.type) || is_snapshot_frame(header_.type)) {
        // Membership is re-checked per frame: a server removed from the cluster is ignored.
        auto& receiver = is_forward_frame(header_.type) ? inbox_->forward : inbox_->snapshot;
        if (!options_->member_address(peer_id_).empty() && receiver) {
          receiver(peer_id_, header_.type, std::move(body_in_));
        }
        body_in_ = {};
      } else {
        on_raft_frame(header_.type);
      }
      break;
  }
  if (!closed_) read_header();
}

void InboundPeer::on_hello() {
  Hello hello;
  if (util::IoStatus status = decode_hello_body(body_in_, hello); !status.ok()) {
    refuse(status.message);
    return;
  }
  if (hello.cluster_id != options_->cluster_id) {
    refuse("it belongs to cluster '" + hello.cluster_id + "', not '" + options_->cluster_id + "'");
    return;
  }
  if (hello.acceptor != options_->self_id) {
    refuse("it dialled server " + std::to_string(hello.acceptor) + ", but this is server " +
           std::to_string(options_->self_id));
    return;
  }
  if (hello.dialer == options_->self_id) {
    refuse("it claims this server's own id " + std::to_string(hello.dialer));
    return;
  }
  if (options_->member_address(hello.dialer).empty()) {
    refuse("server " + std::to_string(hello.dialer) + " is not in the cluster configuration");
    return;
  }
  if (const std::string refusal = identity_refusal(channel_, *options_, hello.dialer);
      !refusal.empty()) {
    refuse(refusal);
    return;
  }
  transcript_ = {.cluster_id = options_->cluster_id,
                 .dialer = hello.dialer,
                 .acceptor = options_->self_id,
                 .dialer_nonce = hello.nonce,
                 .acceptor_nonce = fresh_nonce()};
  encode_challenge_frame({transcript_.acceptor_nonce,
                          compute_proof(*options_->secret, Prover::kAcceptor, transcript_)},
                         handshake_out_);
  state_ = State::kAwaitProof;
  channel_.async_write(
      asio::buffer(handshake_out_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        if (error && !self->closed_) {
          self->refuse("challenge write failed: " + channel_error(self->channel_, error));
        }
      });
}

void InboundPeer::on_proof() {
  Proof proof{};
  if (util::IoStatus status = decode_proof_body(body_in_, proof); !status.ok()) {
    refuse(status.message);
    return;
  }
  if (!proof_matches(*options_->secret, Prover::kDialer, transcript_, proof)) {
    refuse("server " + std::to_string(transcript_.dialer) +
           " could not prove the cluster secret (wrong or missing cluster.secret_file)");
    return;
  }
  peer_id_ = transcript_.dialer;
  state_ = State::kAuthenticated;
  ++deadline_generation_;
  deadline_.cancel();
  log::debug(describe(), " authenticated");
}

void InboundPeer::on_raft_frame(FrameType type) {
  OwnedMessage message;
  if (util::IoStatus status = decode_message_body(type, body_in_, message); !status.ok()) {
    close(status.message);
    return;
  }
  body_in_ = {};
  if (message.message().server_id != peer_id_) {
    close("raft frame claims sender " + std::to_string(message.message().server_id));
    return;
  }
  std::string address = options_->member_address(peer_id_);
  if (address.empty()) {
    if (dropped_++ % 1000 == 0) {
      log::warn("dropped ", dropped_, " frame(s) from ", describe(),
                ": not in the cluster configuration");
    }
    return;
  }
  message.sender_address() = std::move(address);
  if (inbox_->raft) inbox_->raft(std::move(message));
}

}  // namespace keepdb::consensus
