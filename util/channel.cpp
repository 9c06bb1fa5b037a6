// The protected path of a channel: socket bytes through the transport session and back.
#include "util/channel.h"

#include <algorithm>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace keepdb::util {

namespace asio = boost::asio;

namespace {

// Socket bytes read per call, and what is pulled from the session per call.
constexpr std::size_t kSocketChunk = 16 * 1024;
constexpr std::size_t kPullChunk = 16 * 1024 + 512;

boost::system::error_code protocol_error() {
  return boost::system::errc::make_error_code(boost::system::errc::protocol_error);
}

}  // namespace

void Channel::secure(std::unique_ptr<TransportSession> session, HandshakeLimits limits,
                     std::weak_ptr<void> owner) {
  session_ = std::move(session);
  owner_ = std::move(owner);
  limits_ = limits;
  secured_at_ = Clock::now();
  drain_output();  // a client session has its first flight ready
}

void Channel::fail(std::string why) {
  if (failure_.empty()) failure_ = std::move(why);
  send_output();  // the alert the session queued, if any
  if (read_handler_) complete_read(protocol_error(), 0);
  if (write_handler_) complete_write(protocol_error());
}

bool Channel::step(bool call_ok) {
  drain_output();
  if (call_ok && failure_.empty()) return true;
  fail(session_->error());
  return false;
}

void Channel::check_established() {
  if (established_ || (session_->state() & kEstablished) == 0) return;
  established_ = true;
  if (established_callback_) std::exchange(established_callback_, nullptr)();
}

void Channel::complete_read(const boost::system::error_code& error, std::size_t bytes) {
  asio::post(socket_.get_executor(), [handler = std::exchange(read_handler_, nullptr), error,
                                      bytes] { handler(error, bytes); });
}

void Channel::complete_write(const boost::system::error_code& error) {
  asio::post(socket_.get_executor(),
             [handler = std::exchange(write_handler_, nullptr), error, total = write_total_] {
               handler(error, error ? 0 : total);
             });
}

// Plaintext first, then buffered socket bytes, then the socket; pulls after every call.
void Channel::pump_read() {
  if (read_handler_ && !failure_.empty()) return complete_read(protocol_error(), 0);
  while (read_handler_) {
    std::size_t got = 0;
    if (!step(session_->read(
            {static_cast<std::uint8_t*>(read_target_.data()), read_target_.size()}, got))) {
      return;
    }
    if (got > 0) {
      check_established();
      return complete_read({}, got);
    }
    const std::uint32_t state = session_->state();
    if ((state & kClosed) != 0) {
      // Ended by close_notify, or failed in a read's look-ahead: an empty feed says which.
      std::size_t ignored = 0;
      if (!step(session_->feed({}, ignored))) return;
      return complete_read(asio::error::eof, 0);
    }
    if (in_begin_ < in_.size() && (state & kWantInput) != 0) {
      std::size_t consumed = 0;
      if (!step(session_->feed({in_.data() + in_begin_, in_.size() - in_begin_}, consumed))) {
        return;
      }
      in_begin_ += consumed;
      if (in_begin_ == in_.size()) in_.clear(), in_begin_ = 0;
      check_established();
      pump_write();  // the handshake may have let a waiting write through
      if (consumed > 0) continue;
    }
    if (socket_eof_) return complete_read(asio::error::eof, 0);
    if (socket_reading_) return;
    if (in_.size() - in_begin_ >= limits_.max_bytes + kSocketChunk) {
      return fail("the transport session takes no more input while holding " +
                  std::to_string(in_.size() - in_begin_) + " bytes");
    }
    // Keep what the session did not take, and read more behind it.
    if (in_begin_ > 0) {
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_begin_));
      in_begin_ = 0;
    }
    const std::size_t held = in_.size();
    in_.resize(held + kSocketChunk);
    socket_reading_ = true;
    socket_.async_read_some(asio::buffer(in_.data() + held, kSocketChunk),
                            [this, owner = owner_.lock()](const boost::system::error_code& error,
                                                          std::size_t bytes) {
                              on_socket_read(error, bytes);
                            });
    return;
  }
}

void Channel::on_socket_read(const boost::system::error_code& error, std::size_t bytes) {
  socket_reading_ = false;
  in_.resize(in_.size() - kSocketChunk + bytes);
  if (error == asio::error::operation_aborted) {
    if (read_handler_) complete_read(error, 0);
    return;
  }
  if (error) {
    socket_eof_ = true;
    if (read_handler_) complete_read(error, 0);
    return;
  }
  if (!established_) {
    handshake_bytes_ += bytes;
    if (handshake_bytes_ > limits_.max_bytes) {
      return fail("the handshake sent more than " + std::to_string(limits_.max_bytes) +
                  " bytes without completing");
    }
  }
  pump_read();
}

// Offers the pending application bytes; completes once all were taken and sent.
void Channel::pump_write() {
  if (!write_handler_) return;
  if (!failure_.empty()) return complete_write(protocol_error());
  while (write_source_.size() > 0) {
    std::size_t consumed = 0;
    if (!step(session_->write(
            {static_cast<const std::uint8_t*>(write_source_.data()), write_source_.size()},
            consumed))) {
      return;
    }
    if (consumed == 0) return;  // handshake not done, or the session is full: retried later
    write_source_ += consumed;
  }
  if (!socket_writing_ && out_.empty()) complete_write({});
}

void Channel::drain_output() {
  if (!session_) return;
  pull_output();
  send_output();
}

void Channel::pull_output() {
  for (;;) {
    const std::size_t held = out_.size();
    out_.resize(held + kPullChunk);
    std::size_t written = 0;
    const bool ok = session_->pull({out_.data() + held, kPullChunk}, written);
    out_.resize(held + written);
    if (!ok) {
      if (failure_.empty()) failure_ = session_->error();
      break;  // the caller's step() reports it
    }
    if (written == 0) break;
  }
}

void Channel::send_output() {
  if (socket_writing_ || !socket_.is_open()) return;
  if (out_.empty()) {
    if (shutdown_after_send_) {
      boost::system::error_code ignored;
      socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
    return;
  }
  sending_.swap(out_);
  out_.clear();
  socket_writing_ = true;
  asio::async_write(socket_, asio::buffer(sending_),
                    [this, owner = owner_.lock()](const boost::system::error_code& error,
                                                  std::size_t) {
                      socket_writing_ = false;
                      sending_.clear();
                      if (error) {
                        out_.clear();
                        if (write_handler_) complete_write(error);
                        return;
                      }
                      send_output();
                      pump_write();
                    });
}

std::size_t Channel::send_now(asio::const_buffer data) {
  return session_ ? 0 : send_on_socket_now(data);
}

std::size_t Channel::send_on_socket_now(asio::const_buffer data) {
  if (!socket_.is_open()) return 0;
  boost::system::error_code error;
  if (!socket_.non_blocking()) socket_.non_blocking(true, error);
  // An error (a full buffer, a reset) sends nothing here: async_write meets it again.
  const std::size_t sent = error ? 0 : socket_.send(data, 0, error);
  return error ? 0 : sent;
}

void Channel::shutdown_send() {
  if (!session_) {
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  session_->close_notify();
  shutdown_after_send_ = true;
  drain_output();
}

void Channel::async_read_exactly(asio::mutable_buffer buffer, Handler handler) {
  if (!session_) {
    asio::async_read(socket_, buffer, std::move(handler));
    return;
  }
  read_rest(buffer, 0, std::move(handler));
}

void Channel::read_rest(asio::mutable_buffer rest, std::size_t done, Handler handler) {
  if (rest.size() == 0) {
    asio::post(socket_.get_executor(), [handler = std::move(handler), done] { handler({}, done); });
    return;
  }
  async_read_some(rest, [this, rest, done, handler = std::move(handler)](
                            const boost::system::error_code& error, std::size_t bytes) mutable {
    if (error) return handler(error, done + bytes);
    read_rest(rest + bytes, done + bytes, std::move(handler));
  });
}

void Channel::close() {
  boost::system::error_code ignored;
  // A session ends its stream with close_notify (TLS requires it before a close): sent now
  // when no record is half on its way and the socket takes it at once, for a close never
  // waits for the peer.
  if (session_ && socket_.is_open() && !socket_writing_ && failure_.empty()) {
    session_->close_notify();
    pull_output();
    send_on_socket_now(asio::buffer(out_));
    out_.clear();
  }
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  // The owner's handlers leave the channel now (they usually hold the owner, which holds
  // the channel): completed through the io_context, or destroyed with it if it has stopped.
  if (read_handler_) complete_read(asio::error::operation_aborted, 0);
  if (write_handler_) complete_write(asio::error::operation_aborted);
}

}  // namespace keepdb::util
