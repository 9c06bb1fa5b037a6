// The client listener: accepts connections up to the configured maximum, keeps the
// registry of live connections, sweeps their deadlines, and shuts them down gracefully.
// It also holds the client memory budget (limits.max_client_memory_bytes): connections
// report every change of their buffer bytes, the server keeps the sum (O(1) per change),
// and when the sum is over the budget it closes the biggest clients first until it is not.
// It holds the provider seams the connections call (Seams): the admission gate, ticked
// every kAdmissionTick by the server's timer, the audit log, and the listener's transport.
//
// With I/O threads ([client] io_threads), each accepted socket goes to the next I/O thread's
// io_context (util/io_threads.h) and its connection moves bytes there; the connection itself
// and everything here stay on the network thread.
//
// Thread-safety: everything runs on the network thread (the io_context passed in).
// Lifetime: `io`, `node`, `proposer`, the seams and the I/O threads must outlive the server.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <unordered_map>

#include "kernel/commands/audit.h"
#include "kernel/commands/node_context.h"
#include "kernel/commands/proposer.h"
#include "kernel/net/admission_gate.h"
#include "kernel/net/client_log_throttles.h"
#include "util/io_threads.h"
#include "util/transport_session.h"

namespace keepdb::net {

class Connection;

// The providers the connections call; null: none configured.
struct Seams {
  AdmissionGate* admission = nullptr;
  commands::AuditLog* audit = nullptr;
  util::Transport* transport = nullptr;  // [client] transport; null: plain TCP
};

// How often the admission gate's tick runs (plugins expire bans and refill buckets).
inline constexpr std::chrono::milliseconds kAdmissionTick{100};

// Also the registry of client connections CLIENT LIST and CLIENT KILL use.
class Server final : public commands::ClientRegistry {
 public:
  // Registers itself as `node`'s client registry until destroyed. `io_threads` null or
  // empty: sockets stay on the network thread.
  Server(boost::asio::io_context& io, commands::NodeContext& node, commands::Proposer& proposer,
         Seams seams = {}, util::IoThreads* io_threads = nullptr);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on the configured client address; throws std::runtime_error with a
  // clear message when that fails. Returns the bound endpoint (port 0 picks a free port).
  boost::asio::ip::tcp::endpoint start();
  // Stops accepting, completes pending writes, flushes replies, closes every connection,
  // then calls `stopped`.
  void stop(std::function<void()> stopped);

  boost::asio::io_context& io() { return io_; }
  commands::NodeContext& node() { return node_; }
  commands::Proposer& proposer() { return proposer_; }
  const config::Limits& limits() const { return node_.config().limits; }
  bool stopping() const { return stopping_; }
  // True when an authenticator is configured: new connections start unauthenticated.
  bool requires_authentication() const { return node_.auth() != nullptr; }
  AdmissionGate* admission() { return seams_.admission; }
  commands::AuditLog* audit() { return seams_.audit; }
  util::Transport* transport() { return seams_.transport; }

  void forget(std::uint64_t connection_id);  // called by a connection once closed

  // commands::ClientRegistry
  void for_each_client(
      const std::function<void(const commands::ClientView&)>& visit) const override;
  bool visit_client(std::uint64_t id,
                    const std::function<void(const commands::ClientView&)>& visit) const override;
  bool kill_client(std::uint64_t id, std::string_view reason) override;

  // A connection's buffers went from `before` to `after` bytes. Over the budget, closes
  // the biggest clients (possibly the caller) before it returns.
  void client_memory_changed(std::uint64_t before, std::uint64_t after);
  std::uint64_t client_memory_bytes() const { return client_memory_bytes_; }

  ClientLogThrottles& log_throttles() { return log_throttles_; }

 private:
  void accept();
  void on_accept(const boost::system::error_code& error, boost::asio::ip::tcp::socket socket);
  void reject(boost::asio::ip::tcp::socket socket);
  void schedule_sweep();
  void schedule_admission_tick();
  void finish_stop();
  void evict_biggest_clients();

  boost::asio::io_context& io_;
  commands::NodeContext& node_;
  commands::Proposer& proposer_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer sweep_timer_;
  Seams seams_;
  util::IoThreads* io_threads_;
  boost::asio::steady_timer admission_timer_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  bool stopping_ = false;
  std::function<void()> stopped_;
  std::uint64_t client_memory_bytes_ = 0;  // sum of every connection's buffer bytes
  bool evicting_ = false;  // closes made by evict_biggest_clients() do not re-enter it
  ClientLogThrottles log_throttles_;
};

}  // namespace keepdb::net
