// OffloadedChannel: the owner's handle on a Channel whose socket may live on another thread.
// A client connection decides everything on the network thread (parsing, ordering, limits,
// commands); with [client] io_threads its socket belongs to an I/O thread's io_context
// (util/io_threads.h), and the socket calls and the transport session (TLS record
// encryption and decryption, handshakes) run there, so they use other cores. Without I/O
// threads the socket belongs to the owner's io_context and every call goes straight to
// the Channel: one branch, no post, no copy (the path clients had before this existed).
//
// Offloaded, each operation is posted to the socket's thread and its completion is posted
// back to the owner's executor, so the owner sees exactly Channel's contract: one read and
// one write outstanding at a time, completions never inside the initiating call, in order.
// What the owner asks synchronously (failure(), identity(), handshake_overdue()) is a copy
// the completions bring back: the session's failure arrives with the completion that
// reports it, and its verified identity with the established callback, which runs before
// the read completion that follows the handshake.
//
// Buffers: a buffer passed to a read or write belongs to the socket's thread until its
// handler runs; the owner must not touch it meanwhile (as with any Asio operation).
//
// Thread-safety: every member function on the owner's thread only. Lifetime: as Channel,
// handlers keep the owner (which owns this handle) alive. Offloaded, the Channel is shared
// with the operations posted to its thread and freed by whichever side lets go last; it
// holds only itself alive, never the owner, so the owner is never destroyed on the I/O
// thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "util/channel.h"

namespace keepdb::util {

class OffloadedChannel {
 public:
  using Clock = Channel::Clock;
  using Handler = Channel::Handler;

  // Offloaded when `socket`'s executor is not `owner`.
  OffloadedChannel(boost::asio::ip::tcp::socket socket, boost::asio::any_io_executor owner);
  ~OffloadedChannel();
  OffloadedChannel(const OffloadedChannel&) = delete;
  OffloadedChannel& operator=(const OffloadedChannel&) = delete;

  bool offloaded() const { return offloaded_; }
  // Before the first operation only (endpoints, socket options): later the socket is the
  // socket thread's.
  boost::asio::ip::tcp::socket& socket_before_start() { return channel_->socket(); }
  // The socket's descriptor until close(); -1 after.
  int fd() const { return view_->open ? fd_ : -1; }

  // As Channel::secure; `owner` is held by the direct path's socket operations.
  void secure(std::unique_ptr<TransportSession> session, HandshakeLimits limits,
              std::weak_ptr<void> owner);
  void on_established(std::function<void()> callback);
  const PeerIdentity* identity() const;
  const std::string& failure() const;
  bool handshake_overdue(Clock::time_point now) const;
  const HandshakeLimits& handshake_limits() const { return view_->limits; }

  template <typename ReadHandler>
  void async_read_some(boost::asio::mutable_buffer buffer, ReadHandler&& handler) {
    if (!offloaded_) return channel_->async_read_some(buffer, std::forward<ReadHandler>(handler));
    offload_read(buffer, Handler(std::forward<ReadHandler>(handler)), Through::kSession);
  }
  // As Channel::send_now on the direct path; 0 offloaded (the socket is another thread's).
  std::size_t send_now(boost::asio::const_buffer data) {
    return offloaded_ ? 0 : channel_->send_now(data);
  }
  template <typename WriteHandler>
  void async_write(boost::asio::const_buffer data, WriteHandler&& handler) {
    if (!offloaded_) return channel_->async_write(data, std::forward<WriteHandler>(handler));
    offload_write(data, Handler(std::forward<WriteHandler>(handler)));
  }
  // Reads socket bytes past the session (input to discard before a close).
  template <typename ReadHandler>
  void async_read_raw(boost::asio::mutable_buffer buffer, ReadHandler&& handler) {
    if (!offloaded_) {
      return channel_->socket().async_read_some(buffer, std::forward<ReadHandler>(handler));
    }
    offload_read(buffer, Handler(std::forward<ReadHandler>(handler)), Through::kSocket);
  }
  void shutdown_send();
  void close();

 private:
  // What the owner knows of an offloaded channel; owner's thread only.
  struct OwnerView {
    bool open = true;
    bool secured = false;
    bool established = false;
    Clock::time_point secured_at{};
    HandshakeLimits limits;
    std::optional<PeerIdentity> identity;
    std::string failure;
    std::function<void()> on_established;
  };
  enum class Through { kSession, kSocket };

  void offload_read(boost::asio::mutable_buffer buffer, Handler handler, Through through);
  void offload_write(boost::asio::const_buffer data, Handler handler);
  // A completion on the socket's thread, as a handler that posts it to the owner.
  Handler back_to_owner(Handler handler) const;

  std::shared_ptr<Channel> channel_;
  boost::asio::any_io_executor owner_;
  boost::asio::any_io_executor socket_executor_;
  bool offloaded_;
  int fd_;
  std::shared_ptr<OwnerView> view_ = std::make_shared<OwnerView>();
};

}  // namespace keepdb::util
