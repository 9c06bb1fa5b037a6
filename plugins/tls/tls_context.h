// Context: one plugin instance's OpenSSL configuration (an SSL_CTX built from Settings:
// certificate and key, CAs, versions, suites, groups, ALPN, tickets, verification with the
// allow-list) and, for a client, the cache of session tickets to resume with. A mutual-TLS
// server (require_client_cert) also holds a client Context with the same certificate, key,
// CA and allow-list, for the connections its host dials (peer links between nodes).
//
// Created on the control thread by create(); the key file is refused when group or others
// may access it. Sessions share ownership (std::shared_ptr) so an established session
// outlives a reload of its instance; the Context never calls the host after construction.
//
// Thread-safety: const after construction except the ticket cache, which has its own
// mutex; new_ssl() and the cache may be used from any thread.
#pragma once

#include <keepdb/plugin.h>
#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "plugins/tls/tls_settings.h"

namespace keepdb::tls {

class Context {
 public:
  // Throws std::invalid_argument naming the file or option at fault (never key material).
  // Logs one INFO line describing the configuration, and a WARN when the certificate
  // expires within 14 days, through `host` (may be NULL), during construction only.
  Context(Settings settings, const kdb_host_api* host);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const Settings& settings() const { return settings_; }
  // The Context a session for `conn` uses: `context` for an accepted connection, and for a
  // dialled one (kdb_conn_info.dialed, ABI 1.2) a client Context: `context` itself when it
  // is one, else the client Context of a mutual-TLS server. Throws std::invalid_argument
  // for a dialled connection on a server without require_client_cert, and for one the host
  // says it accepted on a client instance (a host before 1.2 says nothing: as configured).
  static std::shared_ptr<const Context> for_connection(std::shared_ptr<const Context> context,
                                                       const kdb_conn_info* conn);
  // A fresh SSL in the configured role; the caller owns it. NULL when out of memory. A
  // client resumes with the ticket cached under `*ticket_key` and caches the tickets it
  // receives there: `ticket_key` must outlive the SSL. A client sends `sni` (when not
  // empty and a host name) as SNI when the server_name option is not set.
  SSL* new_ssl(const std::string* ticket_key, const std::string& sni) const;

  // Client ticket cache, keyed by the server (address, port, server name), at most 1024
  // servers. take() hands over the cached session (the caller frees it), so each ticket is
  // used once.
  SSL_SESSION* take_session(const std::string& key) const;
  void store_session(const std::string& key, SSL_SESSION* session) const;  // takes the reference

  // The Context of an SSL made by new_ssl() (for OpenSSL callbacks).
  static const Context& of(const SSL* ssl);

 private:
  void configure(const kdb_host_api* host);

  Settings settings_;
  SSL_CTX* ctx_ = nullptr;
  std::string alpn_wire_;  // ALPN list in wire format (length-prefixed)
  std::shared_ptr<const Context> dialer_;  // a mutual-TLS server's client Context
  mutable std::mutex tickets_mutex_;
  mutable std::map<std::string, SSL_SESSION*> tickets_;
};

}  // namespace keepdb::tls
