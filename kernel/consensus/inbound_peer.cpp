// Incoming peer connection: handshake check, then frame reading and delivery.
#include "kernel/consensus/inbound_peer.h"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "kernel/log/log.h"

namespace keepdb::consensus {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kMaxHandshakeBody = 2 + kMaxClusterIdBytes + 8;
}  // namespace

InboundPeer::InboundPeer(asio::ip::tcp::socket socket,
                         std::shared_ptr<const TcpPeerOptions> options,
                         std::shared_ptr<PeerInbox> inbox)
    : socket_(std::move(socket)),
      options_(std::move(options)),
      inbox_(std::move(inbox)),
      handshake_deadline_(socket_.get_executor()) {
  boost::system::error_code error;
  const auto remote = socket_.remote_endpoint(error);
  remote_ = error ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), error);
}

std::string InboundPeer::describe() const {
  return "peer connection from " + remote_ +
         (peer_id_ != 0 ? " (server " + std::to_string(peer_id_) + ")" : std::string());
}

void InboundPeer::start() {
  handshake_deadline_.expires_after(options_->handshake_timeout);
  handshake_deadline_.async_wait(
      [self = shared_from_this()](const boost::system::error_code& error) {
        if (!error && self->peer_id_ == 0) self->close("no handshake in time");
      });
  read_header();
}

void InboundPeer::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty()) log::warn("closing ", describe(), ": ", reason);
  boost::system::error_code ignored;
  handshake_deadline_.cancel();
  socket_.close(ignored);
}

void InboundPeer::read_header() {
  asio::async_read(
      socket_, asio::buffer(header_in_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        if (self->closed_) return;
        if (error) {
          self->close(error == asio::error::eof ? "" : error.message());
          return;
        }
        self->on_header();
      });
}

void InboundPeer::on_header() {
  if (IoStatus status = decode_frame_header(header_in_, options_->limits, header_); !status.ok()) {
    close(status.message);
    return;
  }
  const bool handshake = header_.type == FrameType::kHandshake;
  if (handshake != (peer_id_ == 0)) {
    close(handshake ? "second handshake" : "frame before the handshake");
    return;
  }
  if (handshake && header_.body_bytes > kMaxHandshakeBody) {
    close("oversized handshake");
    return;
  }
  body_in_.resize(header_.body_bytes);
  asio::async_read(
      socket_, asio::buffer(body_in_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        if (self->closed_) return;
        if (error) {
          self->close("truncated frame: " + error.message());
          return;
        }
        self->on_body();
      });
}

void InboundPeer::on_body() {
  if (header_.type == FrameType::kHandshake) {
    on_handshake();
    return;
  }
  if (is_forward_frame(header_.type)) {
    // Membership is re-checked per frame: a server removed from the cluster is ignored.
    if (options_->is_member(peer_id_) && inbox_->forward) {
      inbox_->forward(peer_id_, header_.type, std::move(body_in_));
    }
    body_in_ = {};
  } else {
    on_raft_frame(header_.type);
  }
  if (!closed_) read_header();
}

void InboundPeer::on_handshake() {
  Handshake hello;
  if (IoStatus status = decode_handshake_body(body_in_, hello); !status.ok()) {
    close(status.message);
    return;
  }
  if (hello.cluster_id != options_->cluster_id) {
    close("it belongs to cluster '" + hello.cluster_id + "', not '" + options_->cluster_id + "'");
    return;
  }
  if (!options_->is_member(hello.node_id)) {
    close("server " + std::to_string(hello.node_id) +
          " is not in the cluster configuration; its frames are dropped");
    return;
  }
  peer_id_ = hello.node_id;
  handshake_deadline_.cancel();
  encode_handshake_frame({options_->cluster_id, options_->self_id}, handshake_out_);
  asio::async_write(
      socket_, asio::buffer(handshake_out_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        if (error && !self->closed_) self->close("handshake reply: " + error.message());
      });
  read_header();
}

void InboundPeer::on_raft_frame(FrameType type) {
  OwnedMessage message;
  if (IoStatus status = decode_message_body(type, body_in_, message); !status.ok()) {
    close(status.message);
    return;
  }
  body_in_ = {};
  if (message.message().server_id != peer_id_) {
    close("raft frame claims sender " + std::to_string(message.message().server_id));
    return;
  }
  if (!options_->is_member(peer_id_)) {
    if (dropped_++ % 1000 == 0) {
      log::warn("dropped ", dropped_, " frame(s) from ", describe(),
                ": not in the cluster configuration");
    }
    return;
  }
  if (inbox_->raft) inbox_->raft(std::move(message));
}

}  // namespace keepdb::consensus
