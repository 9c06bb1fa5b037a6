// Client connection: read, parse, admit, execute or propose, reply, enforce limits.
#include "kernel/net/connection.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <ctime>
#include <utility>

#include "kernel/commands/command_table.h"
#include "kernel/commands/dispatcher.h"
#include "kernel/commands/transaction.h"
#include "kernel/log/escape.h"
#include "kernel/log/throttle.h"
#include "kernel/net/server.h"

namespace keepdb::net {

namespace asio = boost::asio;
using Clock = Connection::Clock;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// How long input is read and discarded after a protocol error before the socket is closed.
constexpr std::chrono::seconds kDrainBeforeClose{2};
// What one connection may do in one turn of the network thread before it yields.
constexpr std::size_t kRequestsPerTurn = 256;
constexpr std::size_t kReplyBytesPerTurn = 256 * 1024;

resp::RequestLimits parser_limits(const config::Limits& limits) {
  return {.max_bulk_bytes = limits.max_bulk_bytes,
          .max_array_len = limits.max_array_len,
          .max_inline_bytes = limits.max_inline_bytes};
}

// AUTH and HELLO (through its AUTH option) carry a secret: wiped once handled.
bool carries_secret(const commands::CommandSpec& spec) {
  return spec.name == "auth" || spec.name == "hello";
}

std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, Server& server, std::uint64_t id)
    : channel_(std::move(socket), server.io().get_executor()),
      server_(server),
      input_(server.limits().max_request_buffer_bytes),
      parser_(parser_limits(server.limits())) {
  session_.id = id;
  session_.authenticated = !server.requires_authentication();
  session_.created = session_.last_command = last_request_ = unauthenticated_since_ = Clock::now();
  boost::system::error_code error;
  auto& raw = channel_.socket_before_start();
  const auto peer = raw.remote_endpoint(error);
  if (!error) {
    session_.peer_address = endpoint_text(peer);
    peer_ip_ = peer.address().to_string();
    peer_port_ = peer.port();
  }
  const auto local = raw.local_endpoint(error);
  if (!error) {
    session_.local_address = endpoint_text(local);
    local_port_ = local.port();
  }
  raw.set_option(asio::ip::tcp::no_delay(true), error);
}

std::string Connection::describe() const {
  return "client id=" + std::to_string(session_.id) + " addr=" + session_.peer_address;
}

// Asks the gate before any byte is read: a denied client gets one -ERR line, then the
// socket is shut for writing and what it sends is drained until the close.
void Connection::start() {
  if (AdmissionGate* gate = server_.admission()) {
    admission_asked_ = true;
    if (auto denial = gate->check(admission_request(AdmissionEvent::kConnect))) {
      log::throttled(server_.log_throttles().refused_connections, log::Level::kWarn, "refusing ",
                     describe(), ": admission denied the connection: ", denial->error);
      audit(commands::AuditKind::kDeniedByAdmission, "connect", "denied", denial->error);
      commands::SecurityStats& security = server_.node().stats().security;
      ++security.connections_denied;
      commands::count_admission_denial(security, denial->limit);
      resp::ReplyWriter(queued_, session_.protocol).error(denial->error);
      closing_ = true;
      drain_before_close_ = true;
      schedule_flush();
      return;
    }
  }
  audited_connect_ = true;
  audit(commands::AuditKind::kConnect, "connect", "ok");
  if (!open_transport()) return;
  read_more();
}

bool Connection::open_transport() {
  util::Transport* transport = server_.transport();
  if (transport == nullptr) return true;
  std::string error;
  auto session = transport->open({session_.id, peer_ip_, peer_port_, local_port_, false, {}}, error);
  if (!session) {
    close("transport: " + error);
    return false;
  }
  const auto& listener = server_.node().config().client;
  channel_.on_established([this] {
    if (const util::PeerIdentity* identity = channel_.identity()) {
      session_.peer_identity = std::make_shared<const util::PeerIdentity>(*identity);
      if (identity->verified && !session_.authenticated) authenticate_peer();
    }
  });
  channel_.secure(std::move(session),
                  {listener.handshake_timeout, listener.handshake_max_bytes}, weak_from_this());
  return !closed_;
}

// The certificate as credentials: requests wait (as behind a pending AUTH) until the
// authenticators have answered; a refusal leaves the client free to AUTH.
void Connection::authenticate_peer() {
  deferred_ = true;
  server_.node().auth()->verify_peer(
      session_, [self = shared_from_this()](const commands::AuthResult& result) {
        self->deferred_ = false;
        if (self->closed_) return;
        if (result.accepted) {
          self->session_.authenticated = true;
          self->session_.principal = result.principal;
          self->session_.roles = result.roles;
          self->session_.expires_unix_s = result.expires_unix_s;
          self->note_activity();
        }
        self->resume_after_reply();
      });
}

void Connection::audit(commands::AuditKind kind, std::string action, std::string outcome,
                       std::string detail) {
  commands::AuditLog* log = server_.audit();
  if (log == nullptr) return;
  log->record({kind, session_.id, session_.peer_address,
               session_.authenticated ? session_.principal : std::string(), std::move(action),
               std::move(outcome), std::move(detail)});
}

AdmissionRequest Connection::admission_request(AdmissionEvent event) const {
  AdmissionRequest request;
  request.event = event;
  request.conn_id = session_.id;
  request.peer_ip = peer_ip_;
  request.peer_port = peer_port_;
  request.local_port = local_port_;
  if (session_.authenticated) request.principal = session_.principal;
  return request;
}

void Connection::admission_notice(AdmissionEvent event) {
  if (AdmissionGate* gate = server_.admission()) gate->check(admission_request(event));
}

// A principal past its expiry runs nothing more: the session is unauthenticated again.
bool Connection::refused_as_expired(resp::ReplyWriter& out) {
  if (!session_.authenticated || session_.expires_unix_s == 0) return false;
  const auto now = static_cast<std::uint64_t>(std::time(nullptr));
  if (now < session_.expires_unix_s) return false;
  const std::string principal = std::exchange(session_.principal, "default");
  log::throttled(server_.log_throttles().denied_commands, log::Level::kInfo, describe(),
                 ": principal=", principal, " expired; the client must AUTH again");
  audit(commands::AuditKind::kAuthFail, "expired", "expired",
        "principal " + principal + " expired at unix time " +
            std::to_string(session_.expires_unix_s));
  out.error("NOAUTH principal '" + principal + "' expired at unix time " +
            std::to_string(session_.expires_unix_s) + "; AUTH again");
  session_.authenticated = false;
  session_.roles = 0;
  session_.expires_unix_s = 0;
  unauthenticated_since_ = Clock::now();
  return true;
}

// The gate's verdict on a command; the name is the table's, or what the client sent.
bool Connection::refused_by_admission(const commands::Admission& admission, commands::Args argv,
                                      resp::ReplyWriter& out) {
  AdmissionGate* gate = server_.admission();
  if (gate == nullptr) return false;
  AdmissionRequest request = admission_request(AdmissionEvent::kCommand);
  const std::string_view name = request.command =
      admission.spec != nullptr ? admission.spec->name : argv[0].substr(0, 64);
  request.request_bytes = parser_.consumed();
  auto denial = gate->check(request);
  if (!denial) return false;
  audit(commands::AuditKind::kDeniedByAdmission, commands::audit_command_name(name), "denied",
        denial->error);
  commands::SecurityStats& security = server_.node().stats().security;
  ++security.denied_by_admission;
  commands::count_admission_denial(security, denial->limit);
  out.error(denial->error);
  return true;
}

// A write or admin command is recorded before it runs; refused while the log refuses.
bool Connection::refused_by_audit(const commands::CommandSpec& spec, commands::Args argv,
                                  resp::ReplyWriter& out) {
  commands::AuditLog* log = server_.audit();
  if (log == nullptr) return false;
  const auto kind = commands::recorded_kind(spec);
  if (!kind) return false;
  if (auto refusal = log->refusal()) {
    ++server_.node().stats().security.refused_by_audit;
    out.error("ERR audit: " + *refusal);
    return true;
  }
  log->record(commands::command_event(*kind, spec, argv, session_.id, session_.peer_address,
                                      session_.principal, "admitted"));
  return false;
}

void Connection::read_more() {
  if (reading_ || closing_ || closed_) return;
  auto [space, size] = input_.prepare(kReadChunk);
  if (size == 0) {
    fail_protocol("ERR Protocol error: request exceeds limits.max_request_buffer_bytes (" +
                  std::to_string(server_.limits().max_request_buffer_bytes) + " bytes)");
    return;
  }
  account_memory();  // the buffer may have grown
  if (closed_) return;
  reading_ = true;
  channel_.async_read_some(asio::buffer(space, size),
                          [self = shared_from_this(), space_size = size](
                              const boost::system::error_code& error, std::size_t bytes) {
                            self->on_read(error, bytes, space_size);
                          });
}

void Connection::on_read(const boost::system::error_code& error, std::size_t bytes,
                         std::size_t space) {
  reading_ = false;
  if (closed_) return;
  if (error) {
    if (!channel_.failure().empty()) {
      close("transport: " + log::truncated(channel_.failure()));
      return;
    }
    // EOF or reset: finish what is pending so acknowledged state stays consistent, then close.
    closing_ = true;
    if (!awaiting_replies() && !writing_) close("");
    return;
  }
  input_.commit(bytes);
  received_bytes_ += bytes;
  socket_drained_ = bytes < space;
  process_requests();
}

void Connection::process_requests() {
  bool awaiting_bytes = false;  // the buffer ends inside a request
  // Fairness: one connection's pipeline runs for a bounded share of a turn of the network
  // thread, then yields to every other connection that is ready.
  bool yielded = false;
  std::size_t handled_count = 0;
  const std::size_t replies_before = queued_.size();
  while (!closing_ && !closed_) {
    if (replies_backlogged()) {
      // Backpressure: run nothing more until the client has read what is queued.
      if (!backlogged_since_) backlogged_since_ = Clock::now();
      break;
    }
    // A pending AUTH decides the limits the next request is parsed under: wait for it.
    if (deferred_) break;
    parser_.set_authenticated(session_.authenticated);
    const auto status = parser_.parse(input_.readable(), args_);
    if (status == resp::ParseStatus::kError) {
      fail_protocol(parser_.error());
      break;
    }
    if (status == resp::ParseStatus::kIncomplete) {
      consume(parser_.consumed());  // skipped blank lines, if any
      awaiting_bytes = !input_.empty();
      break;
    }
    const Handled handled = handle_request(args_);
    if (handled == Handled::kMustWait) break;  // pending writes or a read barrier
    consume_request(handled);
    note_activity(session_.last_command);  // the request's start: one clock read fewer
    account_memory();  // its reply is queued
    if (++handled_count >= kRequestsPerTurn ||
        queued_.size() - std::min(queued_.size(), replies_before) >= kReplyBytesPerTurn) {
      yielded = true;
      break;
    }
  }
  server_.node().end_read();
  if (yielded) {
    account_memory();
    if (reply_buffer_exceeded()) return;
    schedule_flush();
    asio::post(server_.io(), [self = shared_from_this()] {
      if (!self->closed_ && !self->closing_) self->process_requests();
    });
    return;
  }
  if (!awaiting_bytes) {
    partial_since_.reset();
    if (!reading_) input_.shrink_if_idle(kReadChunk);  // never under a read in flight
  } else if (!partial_since_ || handled_count > 0) {
    // The request timeout runs from the first byte of the request now incomplete: after a
    // pass that completed requests, that is a new one (a steady pipeline ends most passes
    // part-way through a request and is no stalled sender).
    partial_since_ = Clock::now();
  }
  account_memory();
  if (reply_buffer_exceeded()) return;
  // A client that waits for its replies sends nothing before them: when the last read
  // drained the socket and a reply is still to go out, a read now would find it empty (a
  // wasted system call per request). Once the replies have left (after_written), and this
  // turn's other replies, every connection's, with them, the connection reads instead.
  // Decided before the flush: replies sent at once may end a backlog, and the requests it
  // held back then run from after_written(), not from a read that may never complete.
  const bool reply_owed = awaiting_replies() || writing_ || !queued_.empty();
  const bool read_next = !backlogged_since_ && (!awaiting_replies() || input_.empty()) &&
                         !(input_.empty() && socket_drained_ && reply_owed);
  if (replies_before == 0) {
    flush(true);  // this pass's own replies (reads): sent now, if the socket takes them
  } else {
    schedule_flush();  // with writes' replies, after the turn's other completions
  }
  if (read_next) read_more();
}

// Returns kMustWait, consuming nothing, when the request must wait for earlier writes.
Connection::Handled Connection::handle_request(const std::vector<std::string_view>& args) {
  if (!release_held_replies()) return Handled::kMustWait;
  // An EXEC with a SELECT in it decides the database of what follows (transaction.h).
  if (session_.select_pending) return Handled::kMustWait;
  const commands::Args argv(args);
  commands::Admission admission = commands::admit(argv, session_);
  // After MULTI most commands are queued, and EXEC proposes them as one op (transaction.h).
  const commands::TransactionStep step = commands::transaction_step(admission, session_);
  const bool proposes = step == commands::TransactionStep::kExec ||
                        (step == commands::TransactionStep::kNone && admission.spec != nullptr &&
                         admission.spec->proposes());
  if (pending_writes_ > 0 && !proposes) return Handled::kMustWait;
  if (step == commands::TransactionStep::kNone && admission.spec != nullptr &&
      waits_for_read_barrier(*admission.spec)) {
    return Handled::kMustWait;
  }

  auto& node = server_.node();
  ++node.stats().commands_processed;
  session_.last_command = Clock::now();
  resp::ReplyWriter out(queued_, session_.protocol);
  // Only a write can meet a refusal below while writes proposed before it are pending: its
  // refusal is held until they have replied, never sent before them.
  resp::ReplyWriter refusal(awaiting_replies() ? held_replies_ : queued_, session_.protocol);
  if (refused_as_expired(refusal) || refused_by_admission(admission, argv, refusal)) {
    commands::fail_transaction(session_);
    return Handled::kDone;
  }
  if (admission.spec == nullptr) {
    if (admission.denied) {
      log::throttled(server_.log_throttles().denied_commands, log::Level::kWarn,
                     "denied: ", describe(), " principal=", session_.principal,
                     " command=", log::truncated(argv[0]));
      audit(commands::AuditKind::kDeniedByRole, commands::audit_command_name(argv[0]), "denied",
            admission.error);
      ++node.stats().security.denied_by_role;
    }
    out.error(commands::refusal(session_, argv, admission.error));
    return Handled::kDone;
  }
  if (refused_by_audit(*admission.spec, argv, refusal)) {
    commands::fail_transaction(session_);
    return Handled::kDone;
  }
  commands::name_request(*admission.spec, admission.subcommand, session_.last_command_name);
  if (step == commands::TransactionStep::kQueue) {
    commands::queue_command(*admission.spec, argv, session_, server_.limits(), out);
    return Handled::kDone;
  }
  if (proposes) {
    ++pending_writes_;
    // Later reads must see this write: no earlier read round covers them.
    reads_cleared_until_ = std::min(reads_cleared_until_, consumed_bytes_);
    const auto done = [self = shared_from_this(), spec = admission.spec,
                       proposed = session_.last_command](const commands::Reply& reply) {
      self->server_.node().command_stats().record(*spec, nullptr, Clock::now() - proposed,
                                                  reply.kind == commands::Reply::Kind::kError);
      self->on_write_applied(reply);
    };
    if (step == commands::TransactionStep::kExec) {
      const std::vector<std::string> op = commands::take_transaction_op(session_);
      const std::vector<std::string_view> op_args(op.begin(), op.end());
      const auto exec_done = [self = shared_from_this()](const commands::Reply& reply) {
        if (self->session_.select_pending && reply.kind == commands::Reply::Kind::kEncoded) {
          self->session_.db = static_cast<std::uint8_t>(reply.integer);
        }
        self->session_.select_pending = false;
        self->on_write_applied(reply);
      };
      server_.proposer().propose(commands::Caller::of(session_), op_args, exec_done);
    } else {
      server_.proposer().propose(commands::Caller::of(session_), argv, done);
    }
    return Handled::kDone;
  }
  if (read_barrier_error_ && !session_.local_reads && admission.spec->reads_keyspace) {
    out.error(*std::exchange(read_barrier_error_, std::nullopt));
    return Handled::kDone;
  }
  commands::ExecContext context{argv, out, session_, node, [this] { return defer_reply(); }};
  const std::size_t reply_start = queued_.size();
  commands::run_immediate(*admission.spec, admission.subcommand, context);
  // session_.last_command is when this command started (one clock read fewer per command).
  node.command_stats().record(*admission.spec, admission.subcommand,
                              Clock::now() - session_.last_command,
                              queued_.size() > reply_start && (queued_[reply_start] == '-' ||
                                                               queued_[reply_start] == '!'));
  if (session_.close_after_reply) closing_ = true;
  // The command has copied what it keeps (AUTH its secret, before deferring).
  return carries_secret(*admission.spec) ? Handled::kDoneCarryingSecret : Handled::kDone;
}

bool Connection::release_held_replies() {
  if (held_replies_.empty()) return true;
  if (awaiting_replies()) return false;
  queued_ += held_replies_;
  held_replies_.clear();
  return true;
}

// Drops the request just handled; one that carried a secret is wiped from the input buffer
// and from the parser's copy of its arguments.
void Connection::consume_request(Handled handled) {
  const std::size_t bytes = parser_.consumed();
  if (handled == Handled::kDoneCarryingSecret) {
    input_.consume_and_wipe(bytes);
    parser_.wipe_arguments();
    consumed_bytes_ += bytes;
  } else {
    consume(bytes);
  }
}

void Connection::consume(std::size_t bytes) {
  input_.consume(bytes);
  consumed_bytes_ += bytes;
}

void Connection::note_activity(Clock::time_point at) {
  if (session_.authenticated) last_request_ = at;
}

// True (and a read round requested) when this keyspace read must wait for one.
bool Connection::waits_for_read_barrier(const commands::CommandSpec& spec) {
  commands::Cluster* cluster = server_.node().cluster();
  if (cluster == nullptr || session_.local_reads || !spec.reads_keyspace || read_barrier_error_ ||
      consumed_bytes_ + parser_.consumed() <= reads_cleared_until_) {
    return false;
  }
  if (!read_barrier_pending_ && cluster->linearizable_now()) {
    // A sole voter that leads: the reads that have arrived may run now, without a round
    // (and the event-loop turns its posted answer would cost).
    reads_cleared_until_ = received_bytes_;
    return false;
  }
  if (!read_barrier_pending_) {
    read_barrier_pending_ = true;
    const std::uint64_t covered = received_bytes_;  // every request that has arrived so far
    cluster->wait_linearizable([self = shared_from_this(), covered](std::optional<std::string> error) {
      self->read_barrier_pending_ = false;
      if (self->closed_) return;
      if (error) {
        self->read_barrier_error_ = std::move(error);
      } else {
        self->reads_cleared_until_ = std::max(self->reads_cleared_until_, covered);
      }
      self->resume_after_reply();
    });
  }
  return true;
}

void Connection::on_write_applied(const commands::Reply& reply) {
  --pending_writes_;
  if (closed_) return;
  resp::ReplyWriter out(queued_, session_.protocol);
  reply.write_to(out);
  account_memory();
  resume_after_reply();
}

commands::Resume Connection::defer_reply() {
  deferred_ = true;
  return [self = shared_from_this()](commands::ReplyLater reply_later) {
    self->deferred_ = false;
    if (self->closed_) return;
    resp::ReplyWriter out(self->queued_, self->session_.protocol);
    reply_later(out, self->session_);
    self->account_memory();
    self->note_activity();  // a successful AUTH is the first activity
    self->resume_after_reply();
  };
}

// After a pending reply is written: requests that waited for it can run now. Posted, so
// the other completions of the same batch are delivered first.
void Connection::resume_after_reply() {
  if (reply_buffer_exceeded()) return;
  if (!awaiting_replies() && !closing_) {
    post_process_requests();
  }
  schedule_flush();
}

void Connection::post_process_requests() {
  asio::post(server_.io(), [self = shared_from_this()] {
    if (!self->closed_ && !self->closing_ && !self->awaiting_replies()) self->process_requests();
  });
}

std::size_t Connection::reply_limit() const {
  const std::size_t configured = server_.limits().max_reply_buffer_bytes;
  return session_.authenticated ? configured
                                : std::min(configured, kUnauthenticatedMaxReplyBytes);
}

std::string Connection::reply_limit_text() const {
  return session_.authenticated
             ? "limits.max_reply_buffer_bytes = " + std::to_string(reply_limit())
             : "limit before authentication = " + std::to_string(reply_limit());
}

bool Connection::replies_backlogged() const {
  return sending_.size() + queued_.size() >= reply_limit();
}

// Backpressure keeps the queue near the limit; only replies that overshoot it twice over
// (one huge MGET) close the connection at once.
bool Connection::reply_buffer_exceeded() {
  const std::size_t pending = sending_.size() + queued_.size();
  if (pending <= 2 * reply_limit()) return false;
  close("reply buffer limit exceeded (" + std::to_string(pending) + " bytes of replies queued; " +
        reply_limit_text() + ")");
  return true;
}

void Connection::schedule_flush() {
  if (flush_scheduled_ || writing_ || closed_) return;
  flush_scheduled_ = true;
  asio::post(server_.io(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void Connection::flush(bool send_now) {
  if (writing_ || closed_) return;
  release_held_replies();
  if (queued_.empty()) {
    if (closing_ && !awaiting_replies()) {
      if (drain_before_close_) {
        drain_then_close();
      } else {
        close("");
      }
    }
    return;
  }
  sending_.swap(queued_);
  queued_.clear();
  // A plain socket on this thread usually takes the replies at once: sent so, they need no
  // completion, which Asio would run a turn of the event loop later.
  const std::size_t sent = send_now ? channel_.send_now(asio::buffer(sending_)) : 0;
  if (sent == sending_.size()) {
    after_written(false);
    return;
  }
  sending_.erase(0, sent);
  writing_ = true;
  channel_.async_write(asio::buffer(sending_),
                       [self = shared_from_this()](const boost::system::error_code& error,
                                                   std::size_t) { self->on_written(error); });
}

void Connection::on_written(const boost::system::error_code& error) {
  writing_ = false;
  if (closed_) return;
  if (error) {
    close(channel_.failure().empty() ? "" : "transport: " + log::truncated(channel_.failure()));
    return;
  }
  after_written(true);
}

void Connection::after_written(bool completion) {
  sending_.clear();
  if (sending_.capacity() > 1 << 20) sending_.shrink_to_fit();
  account_memory();
  flush();
  if (!replies_backlogged()) backlogged_since_.reset();
  if (closing_ || awaiting_replies() || reading_ || backlogged_since_) return;
  // Requests still buffered run before the next read: a read in flight must never see the
  // buffer consumed (and reset) under it. Sent at once, the replies may have left from
  // inside process_requests(): it runs again from the event loop, not nested in itself.
  if (input_.empty()) {
    read_more();
  } else if (completion) {
    process_requests();
  } else {
    post_process_requests();
  }
}

commands::ClientView Connection::client_view() {
  return {.session = session_,
          .fd = channel_.fd(),
          .input_bytes = input_.size(),
          .input_capacity = input_.capacity(),
          .reply_bytes = sending_.size() + queued_.size(),
          .buffer_bytes = reported_buffer_bytes_};
}

void Connection::account_memory() {
  if (closed_) return;
  const std::uint64_t now = input_.capacity() + sending_.capacity() + queued_.capacity();
  if (now == reported_buffer_bytes_) return;
  server_.client_memory_changed(std::exchange(reported_buffer_bytes_, now), now);
}

void Connection::fail_protocol(const std::string& message) {
  ++server_.node().stats().protocol_errors;
  log::throttled(server_.log_throttles().protocol_errors, log::Level::kWarn, "closing ",
                 describe(), ": ", message);
  // Replies still owed to earlier requests (pipelined writes) go first: the error is held
  // behind them, and is the last reply the client reads.
  resp::ReplyWriter(held_replies_, session_.protocol).error(message);
  closing_ = true;
  drain_before_close_ = true;
  schedule_flush();
}

// The client may still be sending (the body of a bulk over the limit): closing with its
// bytes unread would make the kernel answer with a reset, which destroys the error reply
// before the client reads it. So the reply is followed by end of stream (write side shut)
// and the rest of the input is read and thrown away until the client closes or
// kDrainBeforeClose has passed.
void Connection::drain_then_close() {
  if (closed_ || reading_) return;  // a read in flight comes back through flush()
  if (!draining_since_) {
    draining_since_ = Clock::now();
    channel_.shutdown_send();
  }
  input_.consume_and_wipe(input_.size());
  input_.shrink_if_idle(kReadChunk);
  auto [space, size] = input_.prepare(kReadChunk);
  reading_ = true;
  // Raw socket bytes: what a transport would decrypt is discarded all the same.
  channel_.async_read_raw(asio::buffer(space, size),
                          [self = shared_from_this()](const boost::system::error_code& error,
                                                      std::size_t) {
                            self->reading_ = false;
                            if (self->closed_) return;
                            if (error) {
                              self->close("");
                            } else {
                              self->drain_then_close();
                            }
                          });
}

void Connection::close_gracefully() {
  closing_ = true;
  if (!awaiting_replies() && !writing_) close("");
}

void Connection::enforce_deadlines(Clock::time_point now) {
  if (closed_) return;
  const auto& limits = server_.limits();
  if (draining_since_) {
    if (now - *draining_since_ > kDrainBeforeClose) close("");
    return;
  }
  if (channel_.handshake_overdue(now)) {
    close("transport handshake not completed within client.handshake_timeout_ms = " +
          std::to_string(channel_.handshake_limits().timeout.count()));
  } else if (!session_.authenticated && limits.auth_timeout.count() > 0 &&
      now - unauthenticated_since_ > limits.auth_timeout) {
    close("not authenticated within limits.auth_timeout_ms = " +
          std::to_string(limits.auth_timeout.count()));
  } else if (backlogged_since_ && limits.request_timeout.count() > 0 &&
             now - *backlogged_since_ > limits.request_timeout) {
    // Checked before the partial request: reading is paused while replies are backlogged,
    // so a request cut at the end of the last read is the server's doing, not the sender's.
    close("reply buffer limit exceeded: " + std::to_string(sending_.size() + queued_.size()) +
          " bytes of replies (" + reply_limit_text() + ") unread for more than "
          "limits.request_timeout_ms = " + std::to_string(limits.request_timeout.count()) +
          " (the client does not read)");
  } else if (partial_since_ && limits.request_timeout.count() > 0 &&
             now - *partial_since_ > limits.request_timeout) {
    close("request not completed within limits.request_timeout_ms = " +
          std::to_string(limits.request_timeout.count()) + " (slow or stalled sender)");
  } else if (limits.idle_timeout.count() > 0 && !awaiting_replies() &&
             now - last_request_ > limits.idle_timeout) {
    close("idle for more than limits.idle_timeout_ms = " +
          std::to_string(limits.idle_timeout.count()));
  } else if (closing_ && server_.stopping() && now - last_request_ > std::chrono::seconds(5)) {
    close("shutdown: client did not read its last replies");
  }
}

void Connection::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  if (admission_asked_) admission_notice(AdmissionEvent::kDisconnect);
  if (audited_connect_)
    audit(commands::AuditKind::kDisconnect, "disconnect", "ok", std::string(reason));
  if (!reason.empty()) {
    log::throttled(server_.log_throttles().limit_closes, log::Level::kInfo, "closing ",
                   describe(), ": ", reason);
  }
  // Its buffers are freed once the pending operations, aborted by the close, let go of it.
  server_.client_memory_changed(std::exchange(reported_buffer_bytes_, 0), 0);
  channel_.close();
  server_.forget(session_.id);
}

}  // namespace keepdb::net
