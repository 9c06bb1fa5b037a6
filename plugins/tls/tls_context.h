// Context: one plugin instance's OpenSSL configuration (an SSL_CTX built from Settings:
// certificate and key, CAs, versions, suites, groups, ALPN, tickets, verification with the
// allow-list) and, for a client, the cache of session tickets to resume with.
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
  // A fresh SSL in the configured role; the caller owns it. NULL when out of memory. A
  // client resumes with the ticket cached under `*ticket_key` and caches the tickets it
  // receives there: `ticket_key` must outlive the SSL.
  SSL* new_ssl(const std::string* ticket_key) const;

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
  mutable std::mutex tickets_mutex_;
  mutable std::map<std::string, SSL_SESSION*> tickets_;
};

}  // namespace keepdb::tls
