// The tls plugin's options, parsed and checked: what one instance is configured to do.
// Pure data; parse_settings() throws std::invalid_argument with a one-line message naming
// the option (never a key's content: the options carry paths, not secrets).
//
// Thread-safety: immutable once parsed.
#pragma once

#include <keepdb/plugin.h>

#include <cstddef>
#include <string>
#include <vector>

namespace keepdb::tls {

enum class Role { kServer, kClient };

struct Settings {
  Role role = Role::kServer;
  std::string cert_file;  // PEM chain, leaf first; required for a server
  std::string key_file;   // PEM private key, mode 0600 or stricter
  std::string ca_file;    // PEM CAs that verify the peer; required for a client
  bool require_client_cert = false;
  // Each entry matches the peer's leaf certificate: "cn:NAME" its CN, "dns:NAME" a DNS SAN,
  // "uri:NAME" a URI SAN, a bare NAME any of those. Empty: any verified peer.
  std::vector<std::string> allowed_identities;
  int min_version = 0;            // TLS1_3_VERSION or TLS1_2_VERSION
  std::string ciphersuites;       // TLS 1.3 suites, OpenSSL syntax
  std::string cipher_list;        // TLS 1.2 ciphers, OpenSSL syntax
  std::string groups;             // key exchange groups
  std::vector<std::string> alpn;  // protocols, in preference order
  bool session_tickets = true;
  std::string server_name;       // client: SNI, and a name the server's certificate must carry
  std::size_t max_buffered = 0;  // used when session_new passes 0
};

// The option schema, for the descriptor.
const kdb_option_spec* option_specs();
std::size_t option_count();

// Parses and checks the options create() received. Files are not read here.
Settings parse_settings(const kdb_option* options, std::size_t n_options);

}  // namespace keepdb::tls
