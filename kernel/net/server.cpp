// Client listener, connection registry, deadline sweep, client memory budget and graceful
// shutdown.
#include "kernel/net/server.h"

#include <boost/asio/write.hpp>
#include <algorithm>

#include "kernel/log/log.h"
#include "kernel/net/connection.h"

namespace keepdb::net {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// How often deadlines are checked: a quarter of the shortest enabled timeout, within
// [10 ms, 1 s], so a deadline is enforced at most 25% late. The AUTH deadline counts only
// when clients must authenticate.
std::chrono::milliseconds sweep_period(const config::Limits& limits, bool auth_deadline) {
  std::chrono::milliseconds period{1000};
  const auto auth_timeout = auth_deadline ? limits.auth_timeout : std::chrono::milliseconds{0};
  for (auto timeout : {limits.idle_timeout, limits.request_timeout, auth_timeout}) {
    if (timeout.count() > 0) period = std::min(period, timeout / 4);
  }
  return std::max(period, std::chrono::milliseconds{10});
}

}  // namespace

Server::Server(asio::io_context& io, commands::NodeContext& node, commands::Proposer& proposer,
               Seams seams, util::IoThreads* io_threads)
    : io_(io),
      node_(node),
      proposer_(proposer),
      acceptor_(io),
      sweep_timer_(io),
      seams_(seams),
      io_threads_(io_threads),
      admission_timer_(io) {
  node_.set_clients(this);
}

Server::~Server() { node_.set_clients(nullptr); }

tcp::endpoint Server::start() {
  const auto& listener = node_.config().client;
  boost::system::error_code error;
  const auto address = asio::ip::make_address(listener.host, error);
  if (error) throw std::runtime_error("client.host '" + listener.host + "' is not an IP address");
  const tcp::endpoint endpoint(address, listener.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint, error);
  if (error) {
    throw std::runtime_error("cannot listen on " + listener.host + ":" +
                             std::to_string(listener.port) + ": " + error.message());
  }
  acceptor_.listen(asio::socket_base::max_listen_connections);
  accept();
  schedule_sweep();
  if (seams_.admission != nullptr) schedule_admission_tick();
  return acceptor_.local_endpoint();
}

void Server::accept() {
  const auto handler = [this](const boost::system::error_code& error, tcp::socket socket) {
    on_accept(error, std::move(socket));
  };
  if (io_threads_ != nullptr && io_threads_->size() > 0) {
    // The socket belongs to the I/O thread's context; the handler still runs here.
    acceptor_.async_accept(asio::any_io_executor(io_threads_->next().get_executor()), handler);
  } else {
    acceptor_.async_accept(handler);
  }
}

void Server::on_accept(const boost::system::error_code& error, tcp::socket socket) {
  if (error) {
    if (error == asio::error::operation_aborted) return;
    // e.g. EMFILE; keep accepting
    log::throttled(log_throttles_.accept_failures, log::Level::kWarn,
                   "accept failed: ", error.message());
  } else if (connections_.size() >= limits().max_connections) {
    reject(std::move(socket));
  } else {
    const std::uint64_t id = node_.next_client_id();
    auto connection = std::make_shared<Connection>(std::move(socket), *this, id);
    connections_.emplace(id, connection);
    ++node_.stats().connections_received;
    node_.stats().connected_clients = connections_.size();
    connection->start();
  }
  if (!stopping_) accept();
}

void Server::reject(tcp::socket socket) {
  ++node_.stats().connections_rejected;
  log::throttled(log_throttles_.refused_connections, log::Level::kWarn,
                 "refusing connection: max_connections (", limits().max_connections,
                 ") reached");
  static constexpr std::string_view kReply = "-ERR max number of clients reached\r\n";
  auto held = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*held, asio::buffer(kReply.data(), kReply.size()),
                    [held](const boost::system::error_code&, std::size_t) {
                      boost::system::error_code ignored;
                      held->shutdown(tcp::socket::shutdown_both, ignored);
                      held->close(ignored);
                    });
}

void Server::schedule_sweep() {
  sweep_timer_.expires_after(sweep_period(limits(), requires_authentication()));
  sweep_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    const auto now = Connection::Clock::now();
    std::vector<std::shared_ptr<Connection>> live;
    live.reserve(connections_.size());
    for (auto& [id, weak] : connections_) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
    for (auto& connection : live) connection->enforce_deadlines(now);
    schedule_sweep();
  });
}

void Server::schedule_admission_tick() {
  admission_timer_.expires_after(kAdmissionTick);
  admission_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    seams_.admission->tick();
    schedule_admission_tick();
  });
}

void Server::forget(std::uint64_t connection_id) {
  connections_.erase(connection_id);
  node_.stats().connected_clients = connections_.size();
  if (stopping_ && connections_.empty()) finish_stop();
}

void Server::for_each_client(
    const std::function<void(const commands::ClientView&)>& visit) const {
  std::vector<std::shared_ptr<Connection>> live;
  live.reserve(connections_.size());
  for (const auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) live.push_back(std::move(connection));
  }
  std::sort(live.begin(), live.end(),
            [](const auto& a, const auto& b) { return a->session().id < b->session().id; });
  for (const auto& connection : live) visit(connection->client_view());
}

bool Server::visit_client(std::uint64_t id,
                          const std::function<void(const commands::ClientView&)>& visit) const {
  const auto found = connections_.find(id);
  if (found == connections_.end()) return false;
  const auto connection = found->second.lock();
  if (!connection) return false;
  visit(connection->client_view());
  return true;
}

bool Server::kill_client(std::uint64_t id, std::string_view reason) {
  const auto found = connections_.find(id);
  if (found == connections_.end()) return false;
  const auto connection = found->second.lock();
  if (!connection) return false;
  connection->close(reason);
  return true;
}

void Server::client_memory_changed(std::uint64_t before, std::uint64_t after) {
  client_memory_bytes_ = client_memory_bytes_ - before + after;
  const std::uint64_t budget = limits().max_client_memory_bytes;
  if (budget != 0 && client_memory_bytes_ > budget && !evicting_) evict_biggest_clients();
}

// Only when over the budget: one scan of the connections, biggest closed first.
void Server::evict_biggest_clients() {
  evicting_ = true;
  const std::uint64_t budget = limits().max_client_memory_bytes;
  std::vector<std::shared_ptr<Connection>> live;
  live.reserve(connections_.size());
  for (auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) live.push_back(std::move(connection));
  }
  std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) {
    return a->buffer_bytes() > b->buffer_bytes();
  });
  for (auto& connection : live) {
    if (client_memory_bytes_ <= budget) break;
    connection->close("client memory budget exceeded: its buffers hold " +
                      std::to_string(connection->buffer_bytes()) +
                      " bytes, the most of any client; all clients hold " +
                      std::to_string(client_memory_bytes_) +
                      " bytes (limits.max_client_memory_bytes = " + std::to_string(budget) + ")");
  }
  evicting_ = false;
}

void Server::stop(std::function<void()> stopped) {
  if (stopping_) return;
  stopping_ = true;
  stopped_ = std::move(stopped);
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  log::info("shutting down: no new connections; finishing ", connections_.size(),
            " open connection(s)");
  std::vector<std::shared_ptr<Connection>> live;
  for (auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) live.push_back(std::move(connection));
  }
  for (auto& connection : live) connection->close_gracefully();
  if (connections_.empty()) finish_stop();
}

void Server::finish_stop() {
  sweep_timer_.cancel();
  admission_timer_.cancel();
  if (stopped_) std::exchange(stopped_, nullptr)();
}

}  // namespace keepdb::net
