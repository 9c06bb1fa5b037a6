// The client listener: accepts connections up to the configured maximum, keeps the
// registry of live connections, sweeps their deadlines, and shuts them down gracefully.
//
// Thread-safety: everything runs on the network thread (the io_context passed in).
// Lifetime: `io`, `node` and `proposer` must outlive the server.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <unordered_map>

#include "kernel/commands/node_context.h"
#include "kernel/consensus/proposer.h"

namespace keepdb::net {

class Connection;

class Server {
 public:
  Server(boost::asio::io_context& io, commands::NodeContext& node, consensus::Proposer& proposer);

  // Binds and listens on the configured client address; throws std::runtime_error with a
  // clear message when that fails. Returns the bound endpoint (port 0 picks a free port).
  boost::asio::ip::tcp::endpoint start();
  // Stops accepting, completes pending writes, flushes replies, closes every connection,
  // then calls `stopped`.
  void stop(std::function<void()> stopped);

  boost::asio::io_context& io() { return io_; }
  commands::NodeContext& node() { return node_; }
  consensus::Proposer& proposer() { return proposer_; }
  const config::Limits& limits() const { return node_.config().limits; }
  bool stopping() const { return stopping_; }
  // True when an authenticator is configured: new connections start unauthenticated.
  bool requires_authentication() const { return node_.auth() != nullptr; }

  void forget(std::uint64_t connection_id);  // called by a connection once closed

 private:
  void accept();
  void reject(boost::asio::ip::tcp::socket socket);
  void schedule_sweep();
  void finish_stop();

  boost::asio::io_context& io_;
  commands::NodeContext& node_;
  consensus::Proposer& proposer_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer sweep_timer_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  bool stopping_ = false;
  std::function<void()> stopped_;
};

}  // namespace keepdb::net
