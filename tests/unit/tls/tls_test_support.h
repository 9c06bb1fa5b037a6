// Test support for plugins/tls, shared by the unit tests, the fuzz target and the
// benchmark: certificates made once per process by scripts/gen-certs.sh in a private temp
// directory, an instance of the plugin created through its own descriptor (a fake host
// that keeps log lines), sessions driven only through its kdb_transport_v1 table, and a
// pump that moves ciphertext between two endpoints in memory.
//
// Thread-safety: none; one test thread. Ownership: each object frees what it created.
#pragma once

#include <keepdb/plugin.h>
#include <openssl/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keepdb::tls::test {

using Options = std::vector<std::pair<std::string, std::string>>;

// The directory gen-certs.sh wrote (2 nodes), created on first use, removed at exit.
const std::filesystem::path& cert_dir();
// cert_dir() / name, as text.
std::string cert(std::string_view name);

// `options` with each of `changes` set (replacing a value or adding the key).
Options with(Options options, const Options& changes);
// Options for a server presenting node1, and for a client trusting the test CA.
Options server_options(const Options& changes = {});
Options client_options(const Options& changes = {});

const kdb_transport_v1& transport();

// One plugin instance, created through the descriptor.
class Instance {
 public:
  explicit Instance(const Options& options);  // throws std::runtime_error with the refusal
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // The create() error of `options`, or "" when they are accepted.
  static std::string refusal(const Options& options);

  void* get() const { return instance_; }
  const std::vector<std::string>& log_lines() const { return log_lines_; }

 private:
  Instance(const Options& options, std::string* refusal);
  void* instance_ = nullptr;
  std::vector<std::string> log_lines_;
  kdb_host_api host_{};
};

// One side of a connection as the pump sees it.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // Ciphertext to send: up to `cap` bytes.
  virtual std::size_t pull(std::uint8_t* out, std::size_t cap) = 0;
  // Ciphertext received; returns how much was taken. Records the first failure.
  virtual std::size_t feed(std::string_view ciphertext) = 0;
  // Moves decrypted plaintext into received() and queued plaintext into the session.
  virtual void service() = 0;

  const std::string& received() const { return received_; }
  void clear_received() { received_.clear(); }
  kdb_status failure() const { return failure_; }
  const std::string& failure_message() const { return failure_message_; }
  // Plaintext to send once the session takes it.
  void send(std::string_view plaintext) { outgoing_ += plaintext; }
  std::size_t unsent() const { return outgoing_.size(); }

 protected:
  std::string received_;
  std::string outgoing_;
  kdb_status failure_ = KDB_OK;
  std::string failure_message_;

  friend void pump(Endpoint& a, Endpoint& b);
  std::string in_flight_;  // pulled from this endpoint, not yet taken by the other
};

// A session of the plugin, driven through transport().
class Session final : public Endpoint {
 public:
  // What the host says about the connection: nothing (a 1.1 host: the session takes the
  // instance's role), or that it accepted or dialled it (kdb_conn_info.dialed, ABI 1.2; a
  // dialled one names "node1" as the server it expects).
  enum class Origin { kUnsaid, kAccepted, kDialed };
  explicit Session(const Instance& instance, std::size_t max_buffered = 0,
                   std::string peer_addr = "127.0.0.1", std::uint16_t peer_port = 7000,
                   Origin origin = Origin::kUnsaid);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  std::size_t pull(std::uint8_t* out, std::size_t cap) override;
  std::size_t feed(std::string_view ciphertext) override;
  void service() override;

  kdb_tls_session* get() const { return session_; }
  std::uint32_t state() const { return transport().state(session_); }
  bool established() const { return (state() & KDB_TLS_ESTABLISHED) != 0; }
  bool closed() const { return (state() & KDB_TLS_CLOSED) != 0; }
  const kdb_peer_identity* identity() const { return transport().peer_identity(session_); }
  bool resumed() const;  // through the plugin library (no ABI field says it)
  // Reads at most `cap` bytes of plaintext into received(); returns how many.
  std::size_t read_some(std::size_t cap);

 private:
  std::string peer_addr_;
  kdb_tls_session* session_ = nullptr;
};

// A peer built on OpenSSL directly, for what the plugin itself never does: present an
// expired certificate, offer only TLS 1.2, renegotiate.
struct RawOptions {
  bool server = false;
  std::string cert_file;  // empty: no certificate
  std::string key_file;
  std::string ca_file;  // empty: verify nothing
  int max_version = 0;  // 0: OpenSSL's highest
};

class RawPeer final : public Endpoint {
 public:
  explicit RawPeer(const RawOptions& options);
  ~RawPeer() override;
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  std::size_t pull(std::uint8_t* out, std::size_t cap) override;
  std::size_t feed(std::string_view ciphertext) override;
  void service() override;

  ssl_st* ssl() const { return ssl_; }
  bool established() const;

 private:
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  bio_st* in_ = nullptr;
  bio_st* out_ = nullptr;
};

// Moves ciphertext both ways and services both ends until nothing moves (in memory).
void pump(Endpoint& a, Endpoint& b);

std::string view(kdb_str text);

}  // namespace keepdb::tls::test
