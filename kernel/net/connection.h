// One client connection: reads bytes, parses RESP requests, runs immediate commands,
// proposes writes, and writes replies back in request order, under the configured limits.
//
// Ordering: consecutive writes are proposed without waiting (so pipelines batch); any
// other command waits until this connection's earlier writes have completed, and nothing
// runs while a deferred command (AUTH asking a plugin) is outstanding, so a client always
// reads its own writes and replies never reorder.
//
// Thread-safety: everything runs on the network thread. Lifetime: shared_ptr; pending
// socket operations and write completions hold a reference.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/commands/command.h"
#include "kernel/commands/reply.h"
#include "kernel/commands/session.h"
#include "kernel/net/input_buffer.h"
#include "kernel/resp/request_parser.h"

namespace keepdb::net {

class Server;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(boost::asio::ip::tcp::socket socket, Server& server, std::uint64_t id);

  void start();
  // Closes the socket now; pending replies are dropped. Idempotent.
  void close(std::string_view reason);
  // Stops taking new requests, lets pending writes finish and replies flush, then closes.
  void close_gracefully();
  // Called periodically by the server: enforces the idle and slow-request deadlines.
  void enforce_deadlines(Clock::time_point now);

  const commands::Session& session() const { return session_; }

 private:
  void read_more();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  void process_requests();
  bool handle_request(const std::vector<std::string_view>& args);
  void on_write_applied(const commands::Reply& reply);
  commands::Resume defer_reply();
  void resume_after_reply();
  void schedule_flush();
  void flush();
  void on_written(const boost::system::error_code& error);
  bool reply_buffer_exceeded();
  bool awaiting_replies() const { return pending_writes_ > 0 || deferred_; }
  void fail_protocol(const std::string& message);
  std::string describe() const;  // "id=7 addr=127.0.0.1:5000" for log lines

  boost::asio::ip::tcp::socket socket_;
  Server& server_;
  commands::Session session_;
  InputBuffer input_;
  resp::RequestParser parser_;
  std::vector<std::string_view> args_;

  std::string sending_;  // bytes handed to async_write
  std::string queued_;   // replies produced while a write is in flight

  std::size_t pending_writes_ = 0;  // proposed, not yet applied
  bool deferred_ = false;           // a deferred command has not replied yet
  bool reading_ = false;
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool closing_ = false;   // no more requests; close once replies are flushed
  bool closed_ = false;

  Clock::time_point last_request_;                      // idle deadline base
  std::optional<Clock::time_point> partial_since_;      // a request started but incomplete
};

}  // namespace keepdb::net
