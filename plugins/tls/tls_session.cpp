// Session: one sans-IO TLS connection over two memory BIOs (see tls_session.h).
#include "plugins/tls/tls_session.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <keepdb/plugin_sdk.hpp>
#include <new>
#include <stdexcept>
#include <vector>

#include "plugins/tls/certificate_names.h"

namespace keepdb::tls {
namespace {

// The most bytes one call moves through a BIO (whose lengths are int).
constexpr std::size_t kMaxCall = std::size_t{1} << 30;

// The first byte of every TLS record is its content type, 20 to 23.
bool is_record_type(int byte) {
  return byte >= 20 && byte <= 23;
}

std::string first_byte_text(int byte) {
  char text[32];
  if (std::isprint(byte) != 0) {
    std::snprintf(text, sizeof text, "0x%02x '%c'", byte, byte);
  } else {
    std::snprintf(text, sizeof text, "0x%02x", byte);
  }
  return text;
}

// Empties this thread's OpenSSL error queue before an SSL call, as SSL_get_error needs.
// The queue is empty unless a failure left something, and ERR_clear_error costs a pass
// over all its slots (with a free() each) where a peek costs a look at two indexes: on the
// data path, four calls a request.
void clear_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

struct Session::Identity {
  kdb_peer_identity view{};
  CertificateNames names;
  std::vector<kdb_str> dns;
  std::vector<kdb_str> uri;
  std::vector<std::uint8_t> der;
  std::string version;
  std::string cipher;
  std::string alpn;
  std::string sni;
};

Session::Session(std::shared_ptr<const Context> context, const kdb_conn_info* conn,
                 std::size_t max_buffered)
    : context_(std::move(context)),
      max_buffered_(max_buffered == 0 ? context_->settings().max_buffered : max_buffered) {
  if (max_buffered_ < kMinBuffered) {
    throw std::invalid_argument("max_buffered " + std::to_string(max_buffered_) +
                                " is below the minimum of " + std::to_string(kMinBuffered) +
                                " bytes (one TLS record)");
  }
  if (conn != nullptr && KDB_HAS(kdb_conn_info, conn, peer_port)) {
    ticket_key_ = std::string(kdb::sdk::view(conn->peer_addr)) + ":" +
                  std::to_string(conn->peer_port) + "/" + context_->settings().server_name;
  }
  std::string sni;
  if (conn != nullptr && KDB_HAS(kdb_conn_info, conn, server_name) && conn->dialed) {
    sni = kdb::sdk::view(conn->server_name);
  }
  ERR_clear_error();
  ssl_ = context_->new_ssl(&ticket_key_, sni);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || in_ == nullptr || out_ == nullptr) {
    BIO_free(in_);
    BIO_free(out_);
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_mem_eof_return(in_, -1);  // empty means "want more", not end of stream
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_app_data(ssl_, this);
  SSL_set_verify(ssl_, SSL_get_verify_mode(ssl_), &Session::verify);
  SSL_set_msg_callback(ssl_, &Session::on_message);
  SSL_set_msg_callback_arg(ssl_, this);
  if (context_->settings().role == Role::kClient) advance(nullptr);  // the ClientHello
}

Session::~Session() {
  // A session that did not fail stays resumable even when the host drops the connection
  // without a close_notify (OpenSSL would otherwise void its tickets).
  if (established_ && failure_.empty())
    SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(ssl_);
}

std::size_t Session::input_room() const {
  const std::size_t pending = BIO_ctrl_pending(in_);
  return pending >= max_buffered_ ? 0 : max_buffered_ - pending;
}

kdb_status Session::feed_ciphertext(kdb_bytes in, std::size_t* consumed, kdb_outbuf* error) {
  *consumed = 0;
  if (!failure_.empty()) return fail(error, {});
  clear_errors();
  const std::size_t n = std::min({in.len, input_room(), kMaxCall});
  if (n > 0) {
    if (first_byte_ < 0) first_byte_ = in.ptr[0];
    if (BIO_write(in_, in.ptr, static_cast<int>(n)) != static_cast<int>(n)) throw std::bad_alloc();
    *consumed = n;
  }
  return advance(error);
}

kdb_status Session::advance(kdb_outbuf* error) {
  if (!established_) {
    const int done = SSL_do_handshake(ssl_);
    if (done != 1) {
      if (SSL_get_error(ssl_, done) == SSL_ERROR_WANT_READ && !renegotiation_) return KDB_OK;
      return fail(error, failure_reason());
    }
    on_established();
  }
  return decrypt_ahead(error);
}

kdb_status Session::decrypt_ahead(kdb_outbuf* error) {
  if (peer_closed_ || SSL_pending(ssl_) > 0) return KDB_OK;
  // Nothing received and nothing half-read: a peek could only say "want read", and with
  // SSL_MODE_RELEASE_BUFFERS it would allocate and free a record buffer to say it.
  if (BIO_ctrl_pending(in_) == 0 && SSL_has_pending(ssl_) == 0) return KDB_OK;
  std::uint8_t byte = 0;
  std::size_t got = 0;
  const int peeked = SSL_peek_ex(ssl_, &byte, 1, &got);
  if (renegotiation_) return fail(error, failure_reason());
  if (peeked == 1) return KDB_OK;
  switch (SSL_get_error(ssl_, peeked)) {
    case SSL_ERROR_WANT_READ:
      return KDB_OK;
    case SSL_ERROR_ZERO_RETURN:
      peer_closed_ = true;
      return KDB_OK;
    default:
      return fail(error, failure_reason());
  }
}

std::size_t Session::pull_ciphertext(std::uint8_t* out, std::size_t cap) {
  const int n = BIO_read(out_, out, static_cast<int>(std::min(cap, kMaxCall)));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::size_t Session::read_plaintext(std::uint8_t* out, std::size_t cap) {
  clear_errors();
  std::size_t total = 0;
  while (total < cap && failure_.empty()) {
    const std::size_t ready = static_cast<std::size_t>(SSL_pending(ssl_));
    if (ready == 0) {
      decrypt_ahead(nullptr);
      if (SSL_pending(ssl_) == 0) break;
      continue;
    }
    std::size_t got = 0;
    if (SSL_read_ex(ssl_, out + total, std::min(ready, cap - total), &got) != 1) break;
    total += got;
  }
  if (failure_.empty()) decrypt_ahead(nullptr);
  return total;
}

kdb_status Session::write_plaintext(kdb_bytes in, std::size_t* consumed) {
  *consumed = 0;
  if (!failure_.empty() || closed_) return KDB_E_TLS;
  if (!established_ || in.len == 0) return KDB_OK;
  clear_errors();
  const std::size_t pending = BIO_ctrl_pending(out_);
  const std::size_t n =
      std::min({in.len, pending >= max_buffered_ ? 0 : max_buffered_ - pending, kMaxCall});
  if (n == 0) return KDB_OK;
  if (SSL_write_ex(ssl_, in.ptr, n, consumed) != 1) return fail(nullptr, failure_reason());
  return KDB_OK;
}

std::uint32_t Session::state() const {
  std::uint32_t bits = 0;
  if (BIO_ctrl_pending(out_) > 0) bits |= KDB_TLS_HAS_OUTPUT;
  if (SSL_pending(ssl_) > 0) bits |= KDB_TLS_HAS_PLAINTEXT;
  if (established_) bits |= KDB_TLS_ESTABLISHED;
  if (!failure_.empty() || closed_ || peer_closed_) {
    bits |= KDB_TLS_CLOSED;
  } else if (input_room() > 0) {
    bits |= KDB_TLS_WANT_INPUT;
  }
  return bits;
}

void Session::close_notify() {
  if (closed_) return;
  closed_ = true;
  ERR_clear_error();
  if (established_ && failure_.empty()) SSL_shutdown(ssl_);
  ERR_clear_error();
}

const kdb_peer_identity* Session::peer_identity() const {
  return identity_ ? &identity_->view : nullptr;
}

bool Session::resumed() const {
  return established_ && SSL_session_reused(ssl_) == 1;
}

kdb_status Session::fail(kdb_outbuf* error, std::string reason) {
  if (failure_.empty()) failure_ = reason.empty() ? "TLS failure" : std::move(reason);
  ERR_clear_error();
  kdb::sdk::set_message(error, failure_);
  return KDB_E_TLS;
}

std::string Session::failure_reason() const {
  if (renegotiation_) return "the peer asked to renegotiate; renegotiation is refused";
  if (!established_ && first_byte_ >= 0 && !is_record_type(first_byte_)) {
    return "the peer does not speak TLS: its first byte is " + first_byte_text(first_byte_) +
           " (plaintext on a TLS port?)";
  }
  if (refused_identity_) return "peer identity " + presented_ + " is not in allowed_identities";
  const long verified = SSL_get_verify_result(ssl_);
  if (verified != X509_V_OK && !presented_.empty()) {
    return "peer certificate " + presented_ +
           " refused: " + X509_verify_cert_error_string(verified);
  }
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  std::string text = std::string(established_ ? "TLS failure: " : "TLS handshake failed: ") +
                     (reason != nullptr ? reason : "protocol error");
  if (!presented_.empty()) text += " (peer certificate " + presented_ + ")";
  return text;
}

void Session::on_established() {
  established_ = true;
  auto identity = std::make_unique<Identity>();
  kdb_peer_identity& view = identity->view;
  view.struct_size = sizeof(kdb_peer_identity);
  if (const X509* leaf = SSL_get0_peer_certificate(ssl_)) {
    identity->names = CertificateNames::of(leaf);
    view.verified = SSL_get_verify_result(ssl_) == X509_V_OK ? 1 : 0;
    unsigned int length = 0;
    X509_digest(leaf, EVP_sha256(), view.sha256, &length);
    const int size = i2d_X509(leaf, nullptr);
    if (size > 0) {
      identity->der.resize(static_cast<std::size_t>(size));
      unsigned char* cursor = identity->der.data();
      i2d_X509(leaf, &cursor);
    }
  }
  for (const std::string& name : identity->names.dns_sans) {
    identity->dns.push_back(kdb::sdk::str(name));
  }
  for (const std::string& name : identity->names.uri_sans) {
    identity->uri.push_back(kdb::sdk::str(name));
  }
  identity->version = SSL_get_version(ssl_);
  identity->cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_));
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl_, &alpn, &alpn_length);
  if (alpn != nullptr) identity->alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  if (const char* sni = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name)) identity->sni = sni;

  view.subject_dn = kdb::sdk::str(identity->names.subject_dn);
  view.common_name = kdb::sdk::str(identity->names.common_name);
  view.dns_sans = identity->dns.data();
  view.n_dns_sans = identity->dns.size();
  view.uri_sans = identity->uri.data();
  view.n_uri_sans = identity->uri.size();
  view.leaf_der = kdb_bytes{identity->der.data(), identity->der.size()};
  view.tls_version = kdb::sdk::str(identity->version);
  view.cipher = kdb::sdk::str(identity->cipher);
  view.alpn = kdb::sdk::str(identity->alpn);
  view.sni = kdb::sdk::str(identity->sni);
  identity_ = std::move(identity);
}

// OpenSSL's verification callback, for every certificate of the peer's chain: records the
// leaf's names for refusal messages and applies allowed_identities to a verified leaf.
int Session::verify(int preverified, X509_STORE_CTX* store) {
  const auto* ssl = static_cast<const SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = static_cast<Session*>(SSL_get_app_data(ssl));
  if (X509_STORE_CTX_get_error_depth(store) != 0) return preverified;
  const CertificateNames names = CertificateNames::of(X509_STORE_CTX_get_current_cert(store));
  self->presented_ = names.describe();
  if (preverified != 1) return 0;
  const auto& allowed = self->context_->settings().allowed_identities;
  if (!allowed.empty() && !names.matches_any(allowed)) {
    self->refused_identity_ = true;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

// OpenSSL's protocol message callback: notices a renegotiation request (a ClientHello or
// HelloRequest after the handshake, or the no_renegotiation alert OpenSSL answers with).
void Session::on_message(int write_p, int, int content_type, const void* buf, std::size_t len, SSL*,
                         void* arg) {
  auto* self = static_cast<Session*>(arg);
  const auto* bytes = static_cast<const std::uint8_t*>(buf);
  if (len == 0 || !self->established_) return;
  if (write_p == 1 && content_type == SSL3_RT_ALERT && len == 2 &&
      bytes[1] == SSL_AD_NO_RENEGOTIATION) {
    self->renegotiation_ = true;
  }
  if (write_p == 0 && content_type == SSL3_RT_HANDSHAKE &&
      (bytes[0] == SSL3_MT_CLIENT_HELLO || bytes[0] == SSL3_MT_HELLO_REQUEST)) {
    self->renegotiation_ = true;
  }
}

}  // namespace keepdb::tls
