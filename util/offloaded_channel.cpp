// The owner's side of a channel on an I/O thread: operations posted there, completions and
// what they learnt posted back.
#include "util/offloaded_channel.h"

#include <boost/asio/post.hpp>

namespace keepdb::util {

namespace asio = boost::asio;

OffloadedChannel::OffloadedChannel(asio::ip::tcp::socket socket, asio::any_io_executor owner)
    : socket_executor_(socket.get_executor()),
      fd_(socket.is_open() ? static_cast<int>(socket.native_handle()) : -1) {
  channel_ = std::make_shared<Channel>(std::move(socket));
  owner_ = std::move(owner);
  offloaded_ = socket_executor_ != owner_;
}

OffloadedChannel::~OffloadedChannel() {
  // A handshake that completes after the owner is gone calls nobody.
  view_->on_established = nullptr;
}

void OffloadedChannel::secure(std::unique_ptr<TransportSession> session, HandshakeLimits limits,
                              std::weak_ptr<void> owner) {
  view_->secured = true;
  view_->secured_at = Clock::now();
  view_->limits = limits;
  if (!offloaded_) return channel_->secure(std::move(session), limits, std::move(owner));
  asio::post(socket_executor_, [channel = channel_, session = std::move(session), limits,
                                owner_executor = owner_, view = view_]() mutable {
    channel->on_established([channel = channel.get(), owner_executor, view] {
      std::optional<PeerIdentity> identity;
      if (const PeerIdentity* verified = channel->identity()) identity = *verified;
      asio::post(owner_executor, [view, identity = std::move(identity)]() mutable {
        view->established = true;
        view->identity = std::move(identity);
        if (view->on_established) std::exchange(view->on_established, nullptr)();
      });
    });
    // The channel's own socket operations hold the channel, never the owner.
    channel->secure(std::move(session), limits, std::weak_ptr<void>(channel));
  });
}

void OffloadedChannel::on_established(std::function<void()> callback) {
  if (!offloaded_) return channel_->on_established(std::move(callback));
  view_->on_established = std::move(callback);
}

const PeerIdentity* OffloadedChannel::identity() const {
  if (!offloaded_) return channel_->identity();
  return view_->identity ? &*view_->identity : nullptr;
}

const std::string& OffloadedChannel::failure() const {
  return offloaded_ ? view_->failure : channel_->failure();
}

bool OffloadedChannel::handshake_overdue(Clock::time_point now) const {
  if (!offloaded_) return channel_->handshake_overdue(now);
  return view_->secured && !view_->established && now - view_->secured_at > view_->limits.timeout;
}

OffloadedChannel::Handler OffloadedChannel::back_to_owner(Handler handler) const {
  // Weak: a session's pending read or write keeps this handler inside the channel, which
  // must not keep itself alive through it.
  return [channel = std::weak_ptr<Channel>(channel_), owner_executor = owner_, view = view_,
          handler = std::move(handler)](const boost::system::error_code& error,
                                        std::size_t bytes) mutable {
    std::string failure;
    if (const auto live = channel.lock(); live && error) failure = live->failure();
    asio::post(owner_executor, [view, handler = std::move(handler), error, bytes,
                                failure = std::move(failure)]() mutable {
      if (view->failure.empty()) view->failure = std::move(failure);
      handler(error, bytes);
    });
  };
}

void OffloadedChannel::offload_read(asio::mutable_buffer buffer, Handler handler,
                                    Through through) {
  asio::post(socket_executor_, [channel = channel_, buffer, through,
                                done = back_to_owner(std::move(handler))]() mutable {
    if (through == Through::kSocket) {
      channel->socket().async_read_some(buffer, std::move(done));
    } else {
      channel->async_read_some(buffer, std::move(done));
    }
  });
}

void OffloadedChannel::offload_write(asio::const_buffer data, Handler handler) {
  asio::post(socket_executor_,
             [channel = channel_, data, done = back_to_owner(std::move(handler))]() mutable {
               channel->async_write(data, std::move(done));
             });
}

void OffloadedChannel::shutdown_send() {
  if (!offloaded_) return channel_->shutdown_send();
  asio::post(socket_executor_, [channel = channel_] { channel->shutdown_send(); });
}

void OffloadedChannel::close() {
  view_->open = false;
  if (!offloaded_) return channel_->close();
  view_->on_established = nullptr;
  asio::post(socket_executor_, [channel = channel_] { channel->close(); });
}

}  // namespace keepdb::util
