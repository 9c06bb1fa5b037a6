// The byte stream under a client or peer connection: a TCP socket, optionally with a transport
// session (TransportSession, e.g. TLS from a plugin) between the socket and the
// connection. The connection reads and writes application bytes through the channel the
// same way in both cases; without a session every call goes straight to the socket (no copy,
// no allocation, no indirection beyond one branch), with one the channel feeds what the
// socket gives to the session, drains the session's output to the socket after every call,
// and moves application bytes through the caller's buffers.
//
// Handshake limits: until the session reports established, at most `max_bytes` may arrive
// from the socket (more fails the session), and handshake_overdue() says when `timeout` has
// passed since secure() (the owner closes; it sweeps deadlines anyway).
//
// Like a socket, one read and one write may be outstanding at a time; completions are
// always delivered through the io_context, never inside the initiating call. A failed
// session (bad bytes from the peer, or a provider breaking its contract) completes the
// outstanding operations with boost::system::errc::protocol_error; failure() says why.
//
// Thread-safety: one thread (the socket's io_context). Lifetime: the owner keeps the channel
// alive while operations are outstanding (its handlers hold the owner); the session is
// freed with the channel.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "util/byte_vector.h"
#include "util/transport_session.h"

namespace keepdb::util {

struct HandshakeLimits {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_bytes = 256u << 10;
};

class Channel {
 public:
  using Clock = std::chrono::steady_clock;
  using Handler = std::function<void(const boost::system::error_code&, std::size_t)>;

  explicit Channel(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Puts `session` between the socket and the owner, and sends what it has to say first.
  // The channel's own socket operations hold `owner` (which owns the channel) alive.
  void secure(std::unique_ptr<TransportSession> session, HandshakeLimits limits,
              std::weak_ptr<void> owner);
  bool secured() const { return session_ != nullptr; }
  // True while a session has not completed its handshake.
  bool handshaking() const { return session_ != nullptr && !established_; }
  bool handshake_overdue(Clock::time_point now) const {
    return handshaking() && now - secured_at_ > limits_.timeout;
  }
  const HandshakeLimits& handshake_limits() const { return limits_; }
  // Called once, when the session becomes established (before the read that follows it
  // completes).
  void on_established(std::function<void()> callback) { established_callback_ = std::move(callback); }
  // The verified peer of an established session; null on a plain channel.
  const PeerIdentity* identity() const { return session_ ? session_->identity() : nullptr; }
  // Why the session failed; empty while it has not.
  const std::string& failure() const { return failure_; }

  boost::asio::ip::tcp::socket& socket() { return socket_; }

  // Reads application bytes into `buffer`; the handler gets how many (or an error).
  template <typename ReadHandler>
  void async_read_some(boost::asio::mutable_buffer buffer, ReadHandler&& handler) {
    if (!session_) {
      socket_.async_read_some(buffer, std::forward<ReadHandler>(handler));
      return;
    }
    read_target_ = buffer;
    read_handler_ = std::forward<ReadHandler>(handler);
    pump_read();
  }

  // Writes what of `data` a plain socket takes now, without blocking, and returns how many
  // bytes that was: 0 when its buffer is full, and always 0 on a secured channel (a
  // session's records go through async_write). Only while no async_write is outstanding.
  std::size_t send_now(boost::asio::const_buffer data);

  // Writes all of `data` (which must stay valid until the handler runs).
  template <typename WriteHandler>
  void async_write(boost::asio::const_buffer data, WriteHandler&& handler) {
    if (!session_) {
      boost::asio::async_write(socket_, data, std::forward<WriteHandler>(handler));
      return;
    }
    write_source_ = data;
    write_total_ = data.size();
    write_handler_ = std::forward<WriteHandler>(handler);
    pump_write();
  }

  // Ends the stream for writing: a session's close_notify first, once it is sent.
  void shutdown_send();
  // Closes the socket (a session's close_notify first, if the socket takes it at once); an
  // outstanding read or write completes with operation_aborted.
  void close();

  // Reads exactly `buffer.size()` application bytes, as boost::asio::async_read does on a
  // socket: the handler gets an error, or the whole size.
  void async_read_exactly(boost::asio::mutable_buffer buffer, Handler handler);

 private:
  void pump_read();
  void pump_write();
  // Pulls everything the session has to send and starts sending it.
  void drain_output();
  // Appends everything the session has to send to out_.
  void pull_output();
  // Writes what of `data` the socket takes now, without blocking; returns how many bytes.
  std::size_t send_on_socket_now(boost::asio::const_buffer data);
  // After a session call: drains its output; false (and the session failed) when the call
  // or the drain failed.
  bool step(bool call_ok);
  void send_output();
  void on_socket_read(const boost::system::error_code& error, std::size_t bytes);
  void fail(std::string why);
  void complete_read(const boost::system::error_code& error, std::size_t bytes);
  void complete_write(const boost::system::error_code& error);
  void check_established();
  // async_read_exactly's loop: `done` bytes are in, `rest` is still to fill.
  void read_rest(boost::asio::mutable_buffer rest, std::size_t done, Handler handler);

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<TransportSession> session_;
  std::weak_ptr<void> owner_;
  HandshakeLimits limits_;
  Clock::time_point secured_at_{};
  bool established_ = false;
  std::function<void()> established_callback_;
  std::size_t handshake_bytes_ = 0;  // socket bytes received before established
  std::string failure_;

  // Socket bytes not yet taken by the session: [in_begin_, in_.size()).
  ByteVector in_;
  std::size_t in_begin_ = 0;
  bool socket_reading_ = false;
  bool socket_eof_ = false;
  boost::asio::mutable_buffer read_target_;
  Handler read_handler_;

  ByteVector out_;      // pulled from the session, not yet handed to the socket
  ByteVector sending_;  // handed to async_write
  bool socket_writing_ = false;
  bool shutdown_after_send_ = false;
  boost::asio::const_buffer write_source_;
  std::size_t write_total_ = 0;
  Handler write_handler_;
};

}  // namespace keepdb::util
