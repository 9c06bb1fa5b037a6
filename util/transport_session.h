// The byte-stream transport vocabulary shared by the kernel's listeners and the plugin host:
// a TransportSession turns the socket's bytes (ciphertext, in TLS terms) into the
// application's bytes (plaintext) and back, sans-IO, exactly as kdb_transport_v1 in
// include/keepdb/plugin.h does; a Transport opens one session per connection. The plain
// path has no session at all (util/channel.h), so these are only the protected path.
//
// Thread-safety: a Transport's open() may be called from any thread; one session is used
// by one thread at a time. Lifetime: a session is owned by its connection and keeps what it
// needs of its Transport alive itself.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keepdb::util {

// What a session is ready for: the same bits as KDB_TLS_* in include/keepdb/plugin.h.
enum TransportState : std::uint32_t {
  kWantInput = 1u << 0,
  kHasOutput = 1u << 1,
  kHasPlaintext = 1u << 2,
  kEstablished = 1u << 3,
  kClosed = 1u << 4,
};

// Who is at the other end, as the session verified it (a copy: owned strings).
struct PeerIdentity {
  bool verified = false;
  std::string subject_dn;
  std::string common_name;
  std::vector<std::string> dns_sans;
  std::vector<std::string> uri_sans;
  std::string tls_version;
  std::string cipher;
  std::array<std::uint8_t, 32> sha256{};  // SHA-256 of the leaf certificate's DER

  // A one-word name for CLIENT LIST and log lines: the CN, else the first URI or DNS SAN;
  // empty for an unverified peer.
  std::string display_name() const;
  // Whether this is a verified certificate whose CN, a DNS SAN or a URI SAN is exactly
  // `name` (how a peer's certificate is matched to its cluster roster entry). Never true
  // for an empty name or an unverified peer.
  bool has_name(std::string_view name) const;
};

// The connection a session is opened for.
struct TransportPeer {
  std::uint64_t conn_id = 0;
  std::string peer_addr;  // IP address, without the port
  std::uint16_t peer_port = 0;
  std::uint16_t local_port = 0;
  // True when this side dialled the connection (a TLS client session); false: accepted.
  bool dialed = false;
  // Dialled: the identity the server is expected to prove (a transport may send it as SNI).
  std::string server_name;
};

// Each call returns false once the session has failed; error() then says why, in one line
// naming the provider. A failed session stays failed.
class TransportSession {
 public:
  virtual ~TransportSession() = default;

  // Offers socket bytes; `consumed` says how many were taken (possibly fewer).
  virtual bool feed(std::span<const std::uint8_t> in, std::size_t& consumed) = 0;
  // Takes bytes to send to the socket; `written` 0 means none left.
  virtual bool pull(std::span<std::uint8_t> out, std::size_t& written) = 0;
  // Takes application bytes the session decrypted.
  virtual bool read(std::span<std::uint8_t> out, std::size_t& read) = 0;
  // Offers application bytes to send; `consumed` may be 0 before the handshake completes.
  virtual bool write(std::span<const std::uint8_t> in, std::size_t& consumed) = 0;
  virtual std::uint32_t state() const = 0;  // TransportState bits
  virtual void close_notify() = 0;
  // The verified peer once established; null before, or when the provider reports none.
  virtual const PeerIdentity* identity() = 0;
  virtual const std::string& error() const = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // A new session, or null with `error` set (one line naming the provider).
  virtual std::unique_ptr<TransportSession> open(const TransportPeer& peer,
                                                 std::string& error) = 0;
  // "plugin 'tls-clients' (tls)": how log lines name this transport.
  virtual const std::string& label() const = 0;
};

}  // namespace keepdb::util
