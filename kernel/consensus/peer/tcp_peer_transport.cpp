// TCP peer transport: the listener, the outgoing link per peer, frame encoding on send.
#include "kernel/consensus/peer/tcp_peer_transport.h"

#include <algorithm>
#include <stdexcept>

#include "kernel/consensus/peer/member_address.h"
#include "kernel/log/log.h"

namespace keepdb::consensus {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// Refused handshakes and connections: at most this many log lines per window.
constexpr std::uint32_t kRefusalLinesPerWindow = 10;
constexpr auto kRefusalWindow = std::chrono::seconds(10);
}  // namespace

// The acceptor and the connections it accepted, shared with the pending accept handler.
struct TcpPeerTransport::Listener : std::enable_shared_from_this<Listener> {
  Listener(asio::io_context& io, std::shared_ptr<const TcpPeerOptions> options,
           std::shared_ptr<PeerInbox> inbox)
      : acceptor(io),
        options(std::move(options)),
        inbox(std::move(inbox)),
        refusals(std::make_shared<log::Throttle>(kRefusalLinesPerWindow, kRefusalWindow)) {}

  void accept() {
    acceptor.async_accept(
        [self = shared_from_this()](const boost::system::error_code& error, tcp::socket socket) {
          if (!self->acceptor.is_open()) return;
          if (!error) {
            self->admit(std::move(socket));
          } else {
            log::warn("peer listener: accept failed: ", error.message());
          }
          self->accept();
        });
  }

  // Starts a connection unless the caps on connections and on connections still in their
  // handshake are reached; then it is closed at once.
  void admit(tcp::socket socket) {
    std::erase_if(connections, [](const auto& weak) {
      const auto connection = weak.lock();
      return !connection || connection->closed();
    });
    const auto handshaking =
        std::count_if(connections.begin(), connections.end(),
                      [](const auto& weak) { return !weak.lock()->authenticated(); });
    const char* refused =
        connections.size() >= options->max_inbound_connections ? "too many peer connections"
        : static_cast<std::size_t>(handshaking) >= options->max_handshaking_connections
            ? "too many peer connections in their handshake"
            : nullptr;
    if (refused != nullptr) {
      if (const auto dropped = refusals->admit()) {
        boost::system::error_code ignored;
        const auto remote = socket.remote_endpoint(ignored);
        log::warn(
            "refused peer connection from ", remote.address().to_string(), ":", remote.port(), ": ",
            refused,
            *dropped > 0 ? " (" + std::to_string(*dropped) + " similar lines not logged)" : "");
      }
      return;  // the socket closes as it goes out of scope
    }
    auto connection = std::make_shared<InboundPeer>(std::move(socket), options, inbox, refusals);
    connections.push_back(connection);
    connection->start();
  }

  void close() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (const auto& weak : connections) {
      if (auto connection = weak.lock()) connection->close("");
    }
    connections.clear();
  }

  tcp::acceptor acceptor;
  std::shared_ptr<const TcpPeerOptions> options;
  std::shared_ptr<PeerInbox> inbox;
  std::shared_ptr<log::Throttle> refusals;
  std::vector<std::weak_ptr<InboundPeer>> connections;
};

TcpPeerTransport::TcpPeerTransport(asio::io_context& io, TcpPeerOptions options)
    : io_(io),
      options_(std::make_shared<const TcpPeerOptions>(std::move(options))),
      inbox_(std::make_shared<PeerInbox>()),
      listener_(std::make_shared<Listener>(io, options_, inbox_)) {}

TcpPeerTransport::~TcpPeerTransport() {
  close();
}

tcp::endpoint TcpPeerTransport::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code error;
  const auto address = asio::ip::make_address(host, error);
  if (error) throw std::runtime_error("cluster.peer_host '" + host + "' is not an IP address");
  const tcp::endpoint endpoint(address, port);
  auto& acceptor = listener_->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    throw std::runtime_error("cannot listen for peers on " + host + ":" + std::to_string(port) +
                             ": " + error.message());
  }
  listener_->accept();
  return acceptor.local_endpoint();
}

void TcpPeerTransport::send(raft_id to_id, const std::string& to_address,
                            const raft_message& message, SendDone done) {
  std::vector<std::uint8_t> frame;
  util::IoStatus status = encode_message_frame(options_->self_id, message, options_->limits, frame);
  if (!status.ok()) {
    done(std::move(status));
    return;
  }
  enqueue(to_id, to_address, std::move(frame), std::move(done));
}

void TcpPeerTransport::send_forward(raft_id to_id, const std::string& to_address, FrameType type,
                                    std::span<const std::uint8_t> body, SendDone done) {
  std::vector<std::uint8_t> frame;
  util::IoStatus status = encode_forward_frame(type, body, options_->limits, frame);
  if (!status.ok()) {
    done(std::move(status));
    return;
  }
  enqueue(to_id, to_address, std::move(frame), std::move(done));
}

void TcpPeerTransport::enqueue(raft_id to_id, const std::string& to_address,
                               std::vector<std::uint8_t> frame, SendDone done) {
  if (closed_) {
    done(util::IoStatus::failure(RAFT_NOCONNECTION, "peer transport closed"));
    return;
  }
  auto& peer = peers_[to_id];
  if (!peer) peer = std::make_shared<OutboundPeer>(io_, options_, to_id);
  peer->set_address(parse_member_address(to_address).peer);
  peer->enqueue(std::move(frame), std::move(done));
}

void TcpPeerTransport::set_receiver(Receiver receiver) {
  inbox_->raft = std::move(receiver);
}

void TcpPeerTransport::set_forward_receiver(ForwardReceiver receiver) {
  inbox_->forward = std::move(receiver);
}

void TcpPeerTransport::set_snapshot_receiver(ForwardReceiver receiver) {
  inbox_->snapshot = std::move(receiver);
}

void TcpPeerTransport::close() {
  if (closed_) return;
  closed_ = true;
  inbox_->raft = nullptr;
  inbox_->forward = nullptr;
  inbox_->snapshot = nullptr;
  listener_->close();
  for (auto& [id, peer] : peers_) peer->close();
  peers_.clear();
}

std::size_t TcpPeerTransport::queued_frames(raft_id peer) const {
  const auto found = peers_.find(peer);
  return found == peers_.end() ? 0 : found->second->queued_frames();
}

std::size_t TcpPeerTransport::queued_bytes(raft_id peer) const {
  const auto found = peers_.find(peer);
  return found == peers_.end() ? 0 : found->second->queued_bytes();
}

}  // namespace keepdb::consensus
