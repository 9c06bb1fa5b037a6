// One client connection: reads bytes, parses RESP requests, runs immediate commands,
// proposes writes, and writes replies back in request order, under the configured limits.
//
// Ordering: consecutive writes are proposed without waiting (so pipelines batch); any
// other command waits until this connection's earlier writes have completed, and nothing
// runs while a deferred command (AUTH asking a plugin) is outstanding, so a client always
// reads its own writes and replies never reorder. Keyspace reads are linearizable unless
// the connection chose READONLY: a read runs only after a read round of the cluster that
// began once the read had arrived (stream positions tell which reads a round covers).
// After MULTI, requests are queued in the session (replied +QUEUED once earlier writes have
// replied) and EXEC is proposed as one write (commands/transaction.h).
//
// Before authentication (only with an authenticator configured) a client costs little: its
// requests are parsed under Redis's unauthenticated limits (resp::kUnauthenticated*), at
// most kUnauthenticatedMaxReplyBytes of its replies are queued, the next request is parsed
// only once a pending AUTH has answered (so AUTH lifts the limits for the rest of a
// pipeline, as in Redis), and it is closed limits.auth_timeout_ms after it was accepted
// whatever it sends. Activity, which the idle timeout measures, is a request handled while
// authenticated (AUTH included): NOAUTH replies, PING and failed AUTH before authentication
// do not count. A handled AUTH or HELLO request is wiped from the input buffer.
//
// Provider seams (Server::admission(), Server::audit()): the admission gate is asked at
// start() before any byte is read (a denial queues its one-line -ERR and closes), before each
// command once it may run in order (a denial replies the gate's error; the connection stays
// usable) and once at close() for every connection asked at start. Audit events: connect,
// disconnect, commands denied by role or by admission, and admitted write and admin commands
// (commands::command_event); while the audit log refuses (a fail_closed sink behind), write
// and admin commands are refused with its reason instead of running unrecorded.
//
// Principal expiry: a command on a session whose principal's expiry has passed is not run:
// the session returns to unauthenticated (the AUTH deadline starts again), the reply is a
// NOAUTH naming the expiry, and AUTH may follow.
//
// Transport: with a transport configured for the listener (Server::transport()), the bytes
// go through a session of it (util/channel.h) opened at start() after the admission
// gate; its handshake must complete within [client] handshake_timeout_ms and
// handshake_max_bytes, the identity it verified goes into the session, and a failed session
// closes this connection only, with its reason in the log. With an authenticator configured,
// a verified identity is offered to the authenticators at once (mechanism "certificate"):
// an authenticator that maps it (plugins/tls auth-cert) authenticates the client without a
// password; requests wait for that answer like behind a pending AUTH.
//
// Memory: the connection reports every change of its buffer bytes (input buffer and reply
// strings, as allocated) to the server, which keeps the client memory budget and may close
// it (Server::client_memory_changed) whenever it reports.
//
// Threads: everything here runs on the network thread. With [client] io_threads the socket
// and its transport session run on an I/O thread (util/offloaded_channel.h), which only
// moves bytes: every decision above stays on the network thread, so ordering per
// connection is the same either way. Lifetime: shared_ptr; pending socket operations and
// write completions hold a reference.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/commands/audit.h"
#include "kernel/commands/command.h"
#include "kernel/commands/dispatcher.h"
#include "kernel/commands/reply.h"
#include "kernel/commands/session.h"
#include "kernel/net/admission_gate.h"
#include "kernel/net/input_buffer.h"
#include "kernel/resp/request_parser.h"
#include "util/offloaded_channel.h"

namespace keepdb::net {

class Server;

// Replies queued for a client that has not authenticated before it is paused (and closed at
// twice this): far above any one reply it can get (PING's echo of a 16 KiB bulk at most).
inline constexpr std::size_t kUnauthenticatedMaxReplyBytes = 64u << 10;

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
  // Bytes of buffers last reported to the server (0 once closed).
  std::uint64_t buffer_bytes() const { return reported_buffer_bytes_; }
  // What CLIENT LIST shows of this connection; valid while the connection lives.
  commands::ClientView client_view();

 private:
  // Opens the transport session when the listener has one; false when that failed.
  bool open_transport();
  // Asks the authenticators about the transport's verified peer (no secret).
  void authenticate_peer();
  void read_more();
  // `space`: what the read could have filled; less means the socket was drained.
  void on_read(const boost::system::error_code& error, std::size_t bytes, std::size_t space);
  // How handle_request() left a request.
  enum class Handled { kMustWait, kDone, kDoneCarryingSecret };

  void process_requests();
  // Every outcome but kMustWait has set session_.last_command to the request's start.
  Handled handle_request(const std::vector<std::string_view>& args);
  void consume_request(Handled handled);
  // An authenticated client's activity at `at` moves its idle deadline.
  void note_activity(Clock::time_point at = Clock::now());
  // Queues held_replies_ once no earlier reply is awaited; false while they stay held
  // (the requests after them wait too).
  bool release_held_replies();
  // The seams' parts of a request; each returns true when it replied instead of running it.
  bool refused_as_expired(resp::ReplyWriter& out);
  bool refused_by_admission(const commands::Admission& admission, commands::Args argv,
                            resp::ReplyWriter& out);
  bool refused_by_audit(const commands::CommandSpec& spec, commands::Args argv,
                        resp::ReplyWriter& out);
  // The gate's request for `event` with this connection's identity and principal.
  AdmissionRequest admission_request(AdmissionEvent event) const;
  void admission_notice(AdmissionEvent event);
  void audit(commands::AuditKind kind, std::string action, std::string outcome,
             std::string detail = {});
  void on_write_applied(const commands::Reply& reply);
  // What follows the replies' leaving, sent at once by flush() or completed (on_written,
  // `completion`): the next replies, the close a closing connection waits for, the requests
  // still buffered or the next read.
  void after_written(bool completion);
  bool waits_for_read_barrier(const commands::CommandSpec& spec);
  void consume(std::size_t bytes);
  commands::Resume defer_reply();
  void resume_after_reply();
  // process_requests() from the event loop, unless by then the connection is closing or
  // owes replies (whose arrival resumes it).
  void post_process_requests();
  void schedule_flush();
  // Hands the queued replies to the channel. `send_now`: a plain socket on this thread takes
  // what it can at once (no completion a turn later); otherwise, and for the rest, async_write.
  void flush(bool send_now = false);
  void on_written(const boost::system::error_code& error);
  bool reply_buffer_exceeded();
  bool replies_backlogged() const;
  std::size_t reply_limit() const;
  std::string reply_limit_text() const;  // the limit that applies, for log lines
  bool awaiting_replies() const {
    return pending_writes_ > 0 || deferred_ || read_barrier_pending_;
  }
  // Reports the buffers' current size to the server's budget; may close this connection.
  void account_memory();
  // Takes no more requests; `message` is the last reply, after those owed to earlier ones.
  void fail_protocol(const std::string& message);
  // Closing after a protocol error: shuts the write side, then reads and discards until
  // the client closes or kDrainBeforeClose has passed (enforce_deadlines), then closes.
  void drain_then_close();
  std::string describe() const;  // "id=7 addr=127.0.0.1:5000" for log lines

  util::OffloadedChannel channel_;
  Server& server_;
  commands::Session session_;
  std::string peer_ip_;  // the client's address without the port, for the admission gate
  std::uint16_t peer_port_ = 0;
  std::uint16_t local_port_ = 0;
  bool admission_asked_ = false;  // the gate was asked at start: it hears the disconnect
  bool audited_connect_ = false;  // the connect was recorded: the disconnect is too
  InputBuffer input_;
  resp::RequestParser parser_;
  std::vector<std::string_view> args_;

  std::string sending_;  // bytes handed to async_write
  std::string queued_;   // replies produced while a write is in flight

  std::size_t pending_writes_ = 0;  // proposed, not yet applied
  bool deferred_ = false;           // a deferred command has not replied yet
  // Read barrier: positions in the request stream. Reads ending at or before
  // reads_cleared_until_ may run; a failed round's error goes to the next read.
  std::uint64_t received_bytes_ = 0;
  std::uint64_t consumed_bytes_ = 0;
  std::uint64_t reads_cleared_until_ = 0;
  bool read_barrier_pending_ = false;
  std::optional<std::string> read_barrier_error_;
  bool reading_ = false;
  bool socket_drained_ = false;  // the last read returned less than its space
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool closing_ = false;   // no more requests; close once replies are flushed
  bool closed_ = false;
  bool drain_before_close_ = false;                     // set by a protocol error
  // Replies that must follow those still awaited (pipelined writes): a later write's
  // refusal, a protocol error. Encoded; released to queued_ by release_held_replies().
  std::string held_replies_;
  std::optional<Clock::time_point> draining_since_;     // write side shut, input discarded
  std::uint64_t reported_buffer_bytes_ = 0;  // what the server's sum holds for this client

  Clock::time_point last_request_;                      // idle deadline base: last activity
  Clock::time_point unauthenticated_since_;             // AUTH deadline base
  std::optional<Clock::time_point> partial_since_;      // a request started but incomplete
  std::optional<Clock::time_point> backlogged_since_;   // paused: replies at the limit, unread
};

}  // namespace keepdb::net
