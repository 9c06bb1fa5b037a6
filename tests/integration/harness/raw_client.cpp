// Raw TCP client: blocking sends, polled reads, close detection.
#include "tests/integration/harness/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace keepdb::integration {
namespace {

// connect(), through a signal that interrupts it (a fuzzer's timer): the connection then
// goes on in the background, and its outcome is the socket's SO_ERROR once it is writable.
// 0, or the errno value of the failure.
int connect_through_signals(int fd, const sockaddr_in& address) {
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) return 0;
  if (errno != EINTR) return errno;
  pollfd poller{.fd = fd, .events = POLLOUT, .revents = 0};
  int ready = 0;
  while ((ready = ::poll(&poller, 1, 10'000)) < 0 && errno == EINTR) {
  }
  if (ready < 0) return errno;
  if (ready == 0) return ETIMEDOUT;
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

}  // namespace

RawClient::RawClient(std::uint16_t port, Options options) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (options.receive_buffer_bytes > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer_bytes,
                 sizeof options.receive_buffer_bytes);
  }
  const timeval send_timeout{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (const int error = connect_through_signals(fd_, address); error != 0) {
    ::close(fd_);
    throw std::runtime_error("connect 127.0.0.1:" + std::to_string(port) + ": " +
                             std::strerror(error));
  }
}

RawClient::~RawClient() {
  ::close(fd_);
}

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

bool RawClient::receive(milliseconds timeout) {
  if (closed_) return false;
  pollfd poller{.fd = fd_, .events = POLLIN, .revents = 0};
  const int ready = ::poll(&poller, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return false;
  char chunk[64 * 1024];
  const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
  if (got <= 0) {
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    closed_ = true;  // EOF or reset
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(got));
  return true;
}

std::string RawClient::read_reply_bytes(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const auto length = reply_length(buffer_)) {
      std::string reply = buffer_.substr(0, *length);
      buffer_.erase(0, *length);
      return reply;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || (!receive(left) && closed_)) {
      throw std::runtime_error(std::string(closed_ ? "connection closed" : "timed out") +
                               " waiting for a reply; received so far: '" + buffer_ + "'");
    }
  }
}

std::string RawClient::read_bytes(std::size_t count, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (buffer_.size() < count) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || (!receive(left) && closed_)) {
      throw std::runtime_error(std::string(closed_ ? "connection closed" : "timed out") +
                               " after " + std::to_string(buffer_.size()) + " of " +
                               std::to_string(count) + " bytes");
    }
  }
  std::string bytes = buffer_.substr(0, count);
  buffer_.erase(0, count);
  return bytes;
}

RespValue RawClient::read_reply(milliseconds timeout) {
  return decode_reply(read_reply_bytes(timeout));
}

RespValue RawClient::command(const std::vector<std::string>& args, milliseconds timeout) {
  if (!send(encode_command(args))) throw std::runtime_error("send failed: connection closed");
  return read_reply(timeout);
}

std::vector<RespValue> RawClient::pipeline(const std::vector<std::vector<std::string>>& commands,
                                           milliseconds timeout) {
  std::string requests;
  for (const auto& command : commands) requests += encode_command(command);
  if (!send(requests)) throw std::runtime_error("send failed: connection closed");
  std::vector<RespValue> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) replies.push_back(read_reply(timeout));
  return replies;
}

bool RawClient::wait_closed(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    receive(std::max(left, milliseconds{0}));
    if (closed_) return true;
    if (Clock::now() >= deadline) return false;
  }
}

}  // namespace keepdb::integration
