// Raw TCP client: blocking sends, polled reads, close detection; optionally inside TLS
// (OpenSSL on a non-blocking socket, each step polled).
#include "tests/integration/harness/raw_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace keepdb::integration {

struct RawClient::Tls {
  SSL_CTX* context = nullptr;
  SSL* session = nullptr;
};

void RawClient::TlsDeleter::operator()(Tls* tls) const {
  SSL_free(tls->session);
  SSL_CTX_free(tls->context);
  delete tls;
}

namespace {

// How long one TLS step (the handshake, a send) may wait for the socket: the plain
// client's send timeout.
constexpr milliseconds kTlsStepTimeout{10'000};

// Waits until the socket is ready for what OpenSSL's last call wants (`ssl_error`,
// SSL_ERROR_WANT_READ or _WRITE); false for any other error, or after `timeout`.
bool wait_for_tls(int fd, int ssl_error, milliseconds timeout) {
  if (ssl_error != SSL_ERROR_WANT_READ && ssl_error != SSL_ERROR_WANT_WRITE) return false;
  pollfd poller{.fd = fd,
                .events = static_cast<short>(ssl_error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT),
                .revents = 0};
  int ready = 0;
  while ((ready = ::poll(&poller, 1, static_cast<int>(timeout.count()))) < 0 && errno == EINTR) {
  }
  return ready > 0;
}

std::string tls_error_text() {
  char text[256] = "no OpenSSL error queued";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    ERR_error_string_n(code, text, sizeof text);
  }
  ERR_clear_error();
  return text;
}

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
  if (options.tls_ca_file.empty()) return;
  try {
    start_tls(options.tls_ca_file);
  } catch (const std::exception&) {
    ::close(fd_);
    throw;
  }
}

void RawClient::start_tls(const std::string& ca_file) {
  // OpenSSL writes to the socket with write(), not send(MSG_NOSIGNAL): a server that has
  // closed must fail the send, not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  tls_.reset(new Tls);
  tls_->context = SSL_CTX_new(TLS_client_method());
  if (tls_->context == nullptr ||
      SSL_CTX_load_verify_locations(tls_->context, ca_file.c_str(), nullptr) != 1) {
    throw std::runtime_error("TLS client with CA file " + ca_file + ": " + tls_error_text());
  }
  SSL_CTX_set_verify(tls_->context, SSL_VERIFY_PEER, nullptr);
  tls_->session = SSL_new(tls_->context);
  if (tls_->session == nullptr ||
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls_->session), "127.0.0.1") != 1 ||
      SSL_set_fd(tls_->session, fd_) != 1) {
    throw std::runtime_error("TLS client session: " + tls_error_text());
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  for (int done = 0; (done = SSL_connect(tls_->session)) != 1;) {
    if (!wait_for_tls(fd_, SSL_get_error(tls_->session, done), kTlsStepTimeout)) {
      throw std::runtime_error("TLS handshake with 127.0.0.1: " + tls_error_text());
    }
  }
}

RawClient::~RawClient() {
  if (tls_ && !closed_) SSL_shutdown(tls_->session);  // close_notify, if the socket takes it
  ::close(fd_);
}

void RawClient::end_writing() {
  if (tls_) {
    // Sends close_notify; OpenSSL asks for more only to read the server's, which receive() does.
    SSL_shutdown(tls_->session);
    ERR_clear_error();
  }
  ::shutdown(fd_, SHUT_WR);
}

bool RawClient::send(std::string_view bytes) {
  while (tls_ && !bytes.empty()) {
    std::size_t sent = 0;
    const int done = SSL_write_ex(tls_->session, bytes.data(), bytes.size(), &sent);
    if (done == 1) {
      bytes.remove_prefix(sent);
    } else if (!wait_for_tls(fd_, SSL_get_error(tls_->session, done), kTlsStepTimeout)) {
      ERR_clear_error();
      return false;
    }
  }
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
  // Decrypted bytes OpenSSL already holds need no poll.
  if (!tls_ || SSL_pending(tls_->session) == 0) {
    pollfd poller{.fd = fd_, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&poller, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) return false;
  }
  char chunk[64 * 1024];
  if (tls_) {
    std::size_t got = 0;
    const int done = SSL_read_ex(tls_->session, chunk, sizeof chunk, &got);
    if (done == 1) {
      buffer_.append(chunk, got);
      return true;
    }
    const int error = SSL_get_error(tls_->session, done);
    ERR_clear_error();
    // Part of a record, or a record without data (a session ticket): read again.
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return true;
    closed_ = true;  // close_notify, EOF or reset
    closed_cleanly_ = error == SSL_ERROR_ZERO_RETURN;
    return false;
  }
  const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
  if (got <= 0) {
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    closed_ = true;  // EOF or reset
    closed_cleanly_ = got == 0;
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
