// BoundClient (see bound_client.h).
#include "tests/integration/ratelimit/bound_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace keepdb::integration::ratelimit {
namespace {

sockaddr_in ipv4(const std::string& address, std::uint16_t port) {
  sockaddr_in socket_address{};
  socket_address.sin_family = AF_INET;
  socket_address.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &socket_address.sin_addr) != 1) {
    throw std::runtime_error("not an IPv4 address: " + address);
  }
  return socket_address;
}

}  // namespace

BoundClient::BoundClient(std::uint16_t port, const std::string& source) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const sockaddr_in local = ipv4(source, 0);
  const sockaddr_in server = ipv4("127.0.0.1", port);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd_, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("connect from " + source + ": " + reason);
  }
}

BoundClient::~BoundClient() {
  ::close(fd_);
}

RespValue BoundClient::command(const std::vector<std::string>& args, milliseconds timeout) {
  const std::string request = encode_command(args);
  if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    throw std::runtime_error(std::string("send: ") + std::strerror(errno));
  }
  return read_reply(timeout);
}

RespValue BoundClient::read_reply(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const auto length = reply_length(buffer_)) {
      const RespValue reply = decode_reply(std::string_view(buffer_).substr(0, *length));
      buffer_.erase(0, *length);
      return reply;
    }
    if (!receive(deadline)) throw std::runtime_error("no reply (closed or timed out)");
  }
}

bool BoundClient::wait_closed(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!closed_ && receive(deadline)) {
  }
  return closed_;
}

bool BoundClient::receive(Clock::time_point deadline) {
  if (closed_) return false;
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd poller{.fd = fd_, .events = POLLIN, .revents = 0};
  if (::poll(&poller, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[16 * 1024];
  const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
  if (got <= 0) {
    if (got < 0 && errno == EINTR) return true;
    closed_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(got));
  return true;
}

}  // namespace keepdb::integration::ratelimit
