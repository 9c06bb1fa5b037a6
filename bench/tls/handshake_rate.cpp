// handshake_rate: TLS handshakes per second against one server, one connection at a time
// (as `openssl s_time` does), full or resumed. `openssl s_time -reuse` cannot resume TLS
// 1.3 (it closes before the server's tickets arrive), so this driver sends one PING after
// each handshake and reads the reply: the tickets come before it. Each connection is
// TCP connect, handshake, PING, +PONG, close_notify, close.
//
//   handshake_rate HOST PORT CA_FILE SECONDS full|resumed
//
// Prints "<mode> <connections> <seconds> <per second> <resumed>" on one line; exits 1 on a
// failed connection (with OpenSSL's reason) or, in resumed mode, when a session did not
// resume. Single-threaded; owns every OpenSSL object it makes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace {

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
  void operator()(SSL_SESSION* session) const { SSL_SESSION_free(session); }
};
template <typename T>
using Owned = std::unique_ptr<T, SslFree>;

[[noreturn]] void fail(const std::string& what) {
  char reason[256] = "no OpenSSL error";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    ERR_error_string_n(code, reason, sizeof reason);
  }
  throw std::runtime_error(what + ": " + reason);
}

class Socket {
 public:
  Socket(const std::string& host, std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
      close(fd_);
      throw std::runtime_error("not an IPv4 address: " + host);
    }
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      close(fd_);
      throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + " failed");
    }
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { close(fd_); }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// One connection: handshake (offering `session` when given), PING, +PONG, close_notify.
// Returns the session to offer next time and whether this one resumed.
std::pair<Owned<SSL_SESSION>, bool> connect_once(SSL_CTX* ctx, const std::string& host,
                                                 std::uint16_t port, SSL_SESSION* session) {
  const Socket socket(host, port);
  const Owned<SSL> ssl(SSL_new(ctx));
  if (!ssl || SSL_set_fd(ssl.get(), socket.fd()) != 1) fail("SSL_new");
  if (session != nullptr && SSL_set_session(ssl.get(), session) != 1) fail("SSL_set_session");
  if (SSL_connect(ssl.get()) != 1) fail("handshake");
  constexpr std::string_view kPing = "*1\r\n$4\r\nPING\r\n";
  if (SSL_write(ssl.get(), kPing.data(), static_cast<int>(kPing.size())) <= 0) fail("write");
  std::string reply;
  char buffer[64];
  while (reply.find("\r\n") == std::string::npos) {
    const int n = SSL_read(ssl.get(), buffer, sizeof buffer);
    if (n <= 0) fail("read");
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  if (reply != "+PONG\r\n") throw std::runtime_error("unexpected reply to PING: " + reply);
  const bool resumed = SSL_session_reused(ssl.get()) == 1;
  Owned<SSL_SESSION> next(SSL_get1_session(ssl.get()));
  SSL_shutdown(ssl.get());
  return {std::move(next), resumed};
}

int run(int argc, char** argv) {
  if (argc != 6 || (std::string_view(argv[5]) != "full" && std::string_view(argv[5]) != "resumed")) {
    std::fprintf(stderr, "usage: %s HOST PORT CA_FILE SECONDS full|resumed\n", argv[0]);
    return 2;
  }
  const std::string host = argv[1];
  const auto port = static_cast<std::uint16_t>(std::stoul(argv[2]));
  const double seconds = std::stod(argv[4]);
  const bool resume = std::string_view(argv[5]) == "resumed";

  const Owned<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) fail("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx.get(), argv[3], nullptr) != 1) fail(argv[3]);
  // The client's own cache is unused: the session to offer is passed by hand.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);

  // A first, full handshake gives resumed mode its first ticket; it is not counted.
  auto [session, first_resumed] = connect_once(ctx.get(), host, port, nullptr);
  (void)first_resumed;
  long connections = 0;
  long resumed = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    auto [next, reused] = connect_once(ctx.get(), host, port, resume ? session.get() : nullptr);
    if (resume && !reused) throw std::runtime_error("a session offered its ticket and did not resume");
    if (resume) session = std::move(next);
    ++connections;
    resumed += reused ? 1 : 0;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s %ld %.2f %.0f %ld\n", argv[5], connections, elapsed,
              static_cast<double>(connections) / elapsed, resumed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "handshake_rate: %s\n", error.what());
    return 1;
  }
}
