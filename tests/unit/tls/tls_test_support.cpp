// Test support for plugins/tls (see tls_test_support.h).
#include "tests/unit/tls/tls_test_support.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "plugins/tls/tls_plugin.h"
#include "tests/support/temp_dir.h"

namespace keepdb::tls::test {
namespace {

void keep_log(void* ctx, int, kdb_str message) {
  static_cast<std::vector<std::string>*>(ctx)->push_back(view(message));
}
std::uint64_t zero_clock(void*) {
  return 0;
}
kdb_status no_random(void*, std::uint8_t*, std::size_t) {
  return KDB_E_UNSUPPORTED;
}
void no_completion(void*, const kdb_auth_completion*) {}

}  // namespace

// Certificates made once per process by scripts/gen-certs.sh, removed when it exits.
const std::filesystem::path& cert_dir() {
  static const ::keepdb::test::TempDir dir = [] {
    ::keepdb::test::TempDir made("tls");
    const std::string command = "bash '" KEEPDB_SOURCE_DIR "/scripts/gen-certs.sh' '" +
                                made.path().string() + "' 2 2>/dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("gen-certs.sh failed");
    return made;
  }();
  return dir.path();
}

std::string cert(std::string_view name) {
  return (cert_dir() / name).string();
}

Options with(Options options, const Options& changes) {
  for (const auto& change : changes) {
    const auto same = [&change](const auto& option) { return option.first == change.first; };
    const auto found = std::find_if(options.begin(), options.end(), same);
    if (found == options.end()) {
      options.push_back(change);
    } else {
      found->second = change.second;
    }
  }
  return options;
}

Options server_options(const Options& changes) {
  return with({{"cert_file", cert("node1.pem")}, {"key_file", cert("node1.key")}}, changes);
}

Options client_options(const Options& changes) {
  return with({{"role", "client"}, {"ca_file", cert("ca.pem")}}, changes);
}

const kdb_transport_v1& transport() {
  return *plugin_descriptor().transport;
}

std::string view(kdb_str text) {
  return text.len == 0 ? std::string() : std::string(text.ptr, text.len);
}

Instance::Instance(const Options& options) : Instance(options, nullptr) {}

Instance::Instance(const Options& options, std::string* refusal) {
  host_ = kdb_host_api{
      sizeof(kdb_host_api), 1,           1,          &log_lines_,    &keep_log,
      &zero_clock,          &zero_clock, &no_random, &no_completion, kdb_str{nullptr, 0}};
  std::vector<kdb_option> list;
  for (const auto& [key, value] : options) {
    list.push_back(kdb_option{{key.data(), key.size()}, {value.data(), value.size()}});
  }
  char buffer[1024];
  kdb_outbuf error{buffer, sizeof buffer, 0};
  const kdb_status status =
      plugin_descriptor().create(&host_, list.data(), list.size(), &instance_, &error);
  if (status == KDB_OK) return;
  const std::string message(buffer, error.len);
  if (refusal == nullptr) throw std::runtime_error("create refused: " + message);
  *refusal = message.empty() ? "refused without a message" : message;
}

Instance::~Instance() {
  if (instance_ != nullptr) plugin_descriptor().destroy(instance_);
}

std::string Instance::refusal(const Options& options) {
  std::string message;
  const Instance instance(options, &message);
  return message;
}

Session::Session(const Instance& instance, std::size_t max_buffered, std::string peer_addr,
                 std::uint16_t peer_port, Origin origin)
    : peer_addr_(std::move(peer_addr)) {
  const bool dialed = origin == Origin::kDialed;
  const kdb_conn_info conn{origin == Origin::kUnsaid
                               ? static_cast<std::uint32_t>(KDB_SIZE_THROUGH(kdb_conn_info, peer))
                               : static_cast<std::uint32_t>(sizeof(kdb_conn_info)),
                           1,
                           {peer_addr_.data(), peer_addr_.size()},
                           peer_port,
                           6379,
                           nullptr,
                           static_cast<std::uint8_t>(dialed ? 1 : 0),
                           dialed ? kdb_str{"node1", 5} : kdb_str{nullptr, 0}};
  char buffer[1024];
  kdb_outbuf error{buffer, sizeof buffer, 0};
  if (transport().session_new(instance.get(), &conn, max_buffered, &session_, &error) != KDB_OK) {
    throw std::runtime_error("session_new failed: " + std::string(buffer, error.len));
  }
}

Session::~Session() {
  transport().session_free(session_);
}

std::size_t Session::pull(std::uint8_t* out, std::size_t cap) {
  std::size_t written = 0;
  if (transport().pull_ciphertext(session_, out, cap, &written) != KDB_OK) {
    throw std::runtime_error("pull_ciphertext failed");
  }
  return written;
}

std::size_t Session::feed(std::string_view ciphertext) {
  std::size_t consumed = 0;
  char buffer[1024];
  kdb_outbuf error{buffer, sizeof buffer, 0};
  const kdb_bytes in{reinterpret_cast<const std::uint8_t*>(ciphertext.data()), ciphertext.size()};
  const kdb_status status = transport().feed_ciphertext(session_, in, &consumed, &error);
  if (status != KDB_OK && failure_ == KDB_OK) {
    failure_ = status;
    failure_message_.assign(buffer, error.len);
  }
  return consumed;
}

std::size_t Session::read_some(std::size_t cap) {
  std::uint8_t buffer[16384];
  std::size_t total = 0;
  while (total < cap) {
    std::size_t read = 0;
    const std::size_t want = std::min(sizeof buffer, cap - total);
    if (transport().read_plaintext(session_, buffer, want, &read) != KDB_OK || read == 0) break;
    received_.append(reinterpret_cast<const char*>(buffer), read);
    total += read;
  }
  return total;
}

void Session::service() {
  if (!outgoing_.empty()) {
    std::size_t consumed = 0;
    const kdb_bytes in{reinterpret_cast<const std::uint8_t*>(outgoing_.data()), outgoing_.size()};
    if (transport().write_plaintext(session_, in, &consumed) == KDB_OK) {
      outgoing_.erase(0, consumed);
    }
  }
  read_some(SIZE_MAX);
}

bool Session::resumed() const {
  return session_resumed(session_);
}

RawPeer::RawPeer(const RawOptions& options) {
  ctx_ = SSL_CTX_new(TLS_method());
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(ctx_, options.max_version);
  if (!options.cert_file.empty() &&
      (SSL_CTX_use_certificate_chain_file(ctx_, options.cert_file.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx_, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
    throw std::runtime_error("RawPeer: cannot load " + options.cert_file);
  }
  if (!options.ca_file.empty()) {
    SSL_CTX_load_verify_locations(ctx_, options.ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  ssl_ = SSL_new(ctx_);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(in_, -1);
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_, in_, out_);
  if (options.server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    SSL_do_handshake(ssl_);
  }
}

RawPeer::~RawPeer() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

bool RawPeer::established() const {
  return SSL_is_init_finished(ssl_) == 1;
}

std::size_t RawPeer::pull(std::uint8_t* out, std::size_t cap) {
  const int n = BIO_read(out_, out, static_cast<int>(cap));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::size_t RawPeer::feed(std::string_view ciphertext) {
  BIO_write(in_, ciphertext.data(), static_cast<int>(ciphertext.size()));
  return ciphertext.size();
}

void RawPeer::service() {
  if (failure_ != KDB_OK) return;
  const int done = SSL_do_handshake(ssl_);
  if (done != 1 && SSL_get_error(ssl_, done) != SSL_ERROR_WANT_READ) {
    failure_ = KDB_E_TLS;
    const unsigned long code = ERR_peek_last_error();
    failure_message_ = code != 0 ? ERR_reason_error_string(code) : "handshake failed";
    ERR_clear_error();
    return;
  }
  if (done != 1) return;
  std::size_t written = 0;
  if (!outgoing_.empty() && SSL_write_ex(ssl_, outgoing_.data(), outgoing_.size(), &written) == 1) {
    outgoing_.erase(0, written);
  }
  char buffer[16384];
  std::size_t read = 0;
  while (SSL_read_ex(ssl_, buffer, sizeof buffer, &read) == 1) received_.append(buffer, read);
  const int error = SSL_get_error(ssl_, 0);
  if (error == SSL_ERROR_SSL) {
    failure_ = KDB_E_TLS;
    const unsigned long code = ERR_peek_last_error();
    failure_message_ = code != 0 ? ERR_reason_error_string(code) : "read failed";
  }
  ERR_clear_error();
}

void pump(Endpoint& a, Endpoint& b) {
  std::uint8_t buffer[16384];
  for (int round = 0; round < 100000; ++round) {
    bool moved = false;
    for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
      from->service();
      while (const std::size_t n = from->pull(buffer, sizeof buffer)) {
        from->in_flight_.append(reinterpret_cast<const char*>(buffer), n);
        moved = true;
      }
      if (!from->in_flight_.empty() && to->failure() == KDB_OK) {
        const std::size_t taken = to->feed(from->in_flight_);
        from->in_flight_.erase(0, taken);
        moved = moved || taken > 0;
      }
      to->service();
    }
    if (!moved) return;
  }
  throw std::runtime_error("pump: the endpoints never settled");
}

}  // namespace keepdb::tls::test
