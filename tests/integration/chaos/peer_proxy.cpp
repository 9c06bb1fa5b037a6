// PeerProxy: accept, read the dialer's HELLO, then splice bytes both ways until cut.
#include "tests/integration/chaos/peer_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "kernel/consensus/peer/peer_codec.h"

namespace keepdb::integration {

namespace {

bool receive_exactly(int fd, std::uint8_t* bytes, std::size_t count) {
  while (count > 0) {
    const ssize_t got = ::recv(fd, bytes, count, 0);
    if (got <= 0) return false;
    bytes += got;
    count -= static_cast<std::size_t>(got);
  }
  return true;
}

bool send_all(int fd, const std::uint8_t* bytes, std::size_t count) {
  while (count > 0) {
    const ssize_t sent = ::send(fd, bytes, count, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    bytes += sent;
    count -= static_cast<std::size_t>(sent);
  }
  return true;
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    return fd;
  }
  if (fd >= 0) ::close(fd);
  return -1;
}

// The dialer id of the HELLO frame at the start of a peer connection, or 0.
std::uint64_t read_hello(int fd, std::vector<std::uint8_t>& frame) {
  timeval timeout{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  frame.resize(consensus::kFrameHeaderBytes);
  if (!receive_exactly(fd, frame.data(), frame.size())) return 0;
  consensus::FrameHeader header;
  if (!consensus::decode_frame_header(frame, consensus::FrameLimits{}, header).ok() ||
      header.type != consensus::FrameType::kHello) {
    return 0;
  }
  frame.resize(consensus::kFrameHeaderBytes + header.body_bytes);
  if (!receive_exactly(fd, frame.data() + consensus::kFrameHeaderBytes, header.body_bytes)) {
    return 0;
  }
  consensus::Hello hello;
  if (!consensus::decode_hello_frame(frame, hello).ok()) return 0;
  timeval none{};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  return hello.dialer;
}

// Copies bytes from `from` to `to` until either side ends, then ends both.
void pump(int from, int to) {
  std::vector<std::uint8_t> buffer(64 * 1024);
  for (;;) {
    const ssize_t got = ::recv(from, buffer.data(), buffer.size(), 0);
    if (got <= 0 || !send_all(to, buffer.data(), static_cast<std::size_t>(got))) break;
  }
  ::shutdown(from, SHUT_RDWR);
  ::shutdown(to, SHUT_RDWR);
}

}  // namespace

PeerProxy::PeerProxy(std::uint16_t target_port) : target_port_(target_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error(std::string("peer proxy: cannot listen: ") + std::strerror(errno));
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

PeerProxy::~PeerProxy() {
  closing_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  ::close(listener_);
  std::list<std::thread> handshakes;
  {
    std::lock_guard lock(mutex_);
    handshakes.swap(handshakes_);
    for (Link& link : links_) {
      ::shutdown(link.from_dialer, SHUT_RDWR);
      ::shutdown(link.to_node, SHUT_RDWR);
    }
  }
  for (std::thread& thread : handshakes) thread.join();
  for (Link& link : links_) {
    link.upstream.join();
    link.downstream.join();
    ::close(link.from_dialer);
    ::close(link.to_node);
  }
}

void PeerProxy::accept_loop() {
  while (!closing_) {
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;  // EINTR, or the listener shut down: the loop condition decides
    std::lock_guard lock(mutex_);
    handshakes_.emplace_back([this, client] { serve(client); });
  }
}

bool PeerProxy::blocked(std::uint64_t dialer) {
  return blocked_.contains(dialer);
}

void PeerProxy::serve(int client) {
  std::vector<std::uint8_t> hello;
  const std::uint64_t dialer = read_hello(client, hello);
  const int node = dialer == 0 ? -1 : connect_loopback(target_port_);
  std::lock_guard lock(mutex_);
  if (node < 0 || closing_ || blocked(dialer) || !send_all(node, hello.data(), hello.size())) {
    ::close(client);
    if (node >= 0) ::close(node);
    return;
  }
  Link& link = links_.emplace_back();
  link.dialer = dialer;
  link.from_dialer = client;
  link.to_node = node;
  link.upstream = std::thread([client, node] { pump(client, node); });
  link.downstream = std::thread([client, node] { pump(node, client); });
}

void PeerProxy::block(std::uint64_t dialer) {
  std::lock_guard lock(mutex_);
  blocked_.insert(dialer);
  for (Link& link : links_) {
    if (link.dialer != dialer) continue;
    ::shutdown(link.from_dialer, SHUT_RDWR);
    ::shutdown(link.to_node, SHUT_RDWR);
  }
}

void PeerProxy::unblock_all() {
  std::lock_guard lock(mutex_);
  blocked_.clear();
}

}  // namespace keepdb::integration
