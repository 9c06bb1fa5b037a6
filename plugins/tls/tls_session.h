// Session: one TLS connection, sans-IO (plugin.h, kdb_transport_v1). OpenSSL reads and
// writes two memory BIOs: the host feeds the peer's ciphertext into one and pulls ours out
// of the other; plaintext goes in and out through the host's buffers. No socket, no clock.
//
// Buffering is bounded by max_buffered per direction: input (ciphertext fed but not yet
// read) and output (ciphertext not yet pulled). feed_ciphertext and write_plaintext
// consume only what fits. Records are decrypted in place in OpenSSL's read buffer, one
// ahead of read_plaintext (so state() can report HAS_PLAINTEXT), never into a copy:
// OpenSSL adds at most one record each way, and one handshake message (it caps a
// ClientHello at about 128 KiB and refuses larger ones).
//
// A protocol or certificate failure closes the session for good: feed_ciphertext returns
// KDB_E_TLS with the reason (the identity the peer presented, never key material), and the
// alert OpenSSL queued is left to pull. A failure found while refilling plaintext in read
// is reported by the next feed_ciphertext (an empty one will do).
//
// Thread-safety: none; the host never calls one session concurrently (plugin.h 6).
// Ownership: shares its Context, so a session outlives a reload of its instance.
#pragma once

#include <keepdb/plugin.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "plugins/tls/tls_context.h"

namespace keepdb::tls {

constexpr std::size_t kDefaultMaxBuffered = 64 * 1024;
constexpr std::size_t kMinBuffered = 18 * 1024;  // one TLS record and its overhead

class Session {
 public:
  // Throws std::invalid_argument when max_buffered (0: the instance's max_buffered option)
  // is below kMinBuffered, std::bad_alloc when OpenSSL has no memory. A client session has
  // its ClientHello to pull at once.
  Session(std::shared_ptr<const Context> context, const kdb_conn_info* conn,
          std::size_t max_buffered);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  kdb_status feed_ciphertext(kdb_bytes in, std::size_t* consumed, kdb_outbuf* error);
  std::size_t pull_ciphertext(std::uint8_t* out, std::size_t cap);
  std::size_t read_plaintext(std::uint8_t* out, std::size_t cap);
  kdb_status write_plaintext(kdb_bytes in, std::size_t* consumed);
  std::uint32_t state() const;
  void close_notify();
  const kdb_peer_identity* peer_identity() const;

  // Whether the handshake resumed an earlier session (a ticket), once established.
  bool resumed() const;
  bool failed() const { return !failure_.empty(); }

 private:
  struct Identity;  // kdb_peer_identity and the strings it points into

  kdb_status advance(kdb_outbuf* error);
  kdb_status decrypt_ahead(kdb_outbuf* error);
  kdb_status fail(kdb_outbuf* error, std::string reason);
  std::string failure_reason() const;
  std::size_t input_room() const;
  void on_established();
  static int verify(int preverified, X509_STORE_CTX* store);
  static void on_message(int write_p, int version, int content_type, const void* buf,
                         std::size_t len, SSL* ssl, void* arg);

  std::shared_ptr<const Context> context_;
  std::string ticket_key_;  // the client's ticket cache key: the server's address and name
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // ciphertext from the peer (owned by ssl_)
  BIO* out_ = nullptr;  // ciphertext for the peer (owned by ssl_)
  std::size_t max_buffered_;
  bool established_ = false;
  bool peer_closed_ = false;
  bool closed_ = false;            // close_notify() was called
  bool renegotiation_ = false;     // the peer asked to renegotiate (refused)
  int first_byte_ = -1;            // the peer's first byte, to recognise plaintext
  std::string failure_;            // non-empty once failed
  std::string presented_;          // names of the peer's leaf certificate, for refusals
  bool refused_identity_ = false;  // the allow-list refused the peer
  std::unique_ptr<Identity> identity_;
};

}  // namespace keepdb::tls
