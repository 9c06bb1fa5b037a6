// Option schema and parsing of the tls plugin (see tls_settings.h and README.md).
#include "plugins/tls/tls_settings.h"

#include <openssl/ssl.h>

#include <charconv>
#include <keepdb/plugin_sdk.hpp>
#include <stdexcept>
#include <string_view>

#include "plugins/tls/tls_session.h"

namespace keepdb::tls {
namespace {

constexpr kdb_option_spec kOptions[] = {
    kdb::sdk::option("role", "server (default: accept connections) or client (dial them)", 0),
    kdb::sdk::option("cert_file", "PEM certificate chain, leaf first (required for a server)",
                     KDB_OPT_PATH),
    kdb::sdk::option("key_file", "PEM private key of cert_file; must be mode 0600 or stricter",
                     KDB_OPT_PATH),
    kdb::sdk::option("ca_file",
                     "PEM CA certificates that verify the peer (required for a client and for "
                     "require_client_cert)",
                     KDB_OPT_PATH),
    kdb::sdk::option("require_client_cert",
                     "server: refuse clients without a certificate from ca_file (mutual TLS); "
                     "default false",
                     0),
    kdb::sdk::option("allowed_identities",
                     "comma-separated peer identities accepted: cn:NAME, dns:NAME, uri:NAME or a "
                     "bare NAME (any of them); default: any verified peer",
                     0),
    kdb::sdk::option("min_version", "lowest TLS version: 1.3 (default) or 1.2", 0),
    kdb::sdk::option("ciphersuites", "TLS 1.3 cipher suites, OpenSSL syntax", 0),
    kdb::sdk::option("cipher_list", "TLS 1.2 ciphers, OpenSSL syntax (with min_version = 1.2)", 0),
    kdb::sdk::option("groups", "key exchange groups, e.g. X25519:P-256", 0),
    kdb::sdk::option("alpn", "comma-separated ALPN protocols in preference order", 0),
    kdb::sdk::option("session_tickets", "session resumption with tickets; default true", 0),
    kdb::sdk::option("server_name",
                     "client: SNI sent, and a name the server certificate must carry", 0),
    kdb::sdk::option("max_buffered",
                     "bytes buffered per session and direction when the host passes 0 "
                     "(default 65536, at least 18432)",
                     0),
};

// Safe defaults: forward secrecy and AEAD only.
constexpr std::string_view kDefaultCiphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr std::string_view kDefaultCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr std::string_view kDefaultGroups = "X25519:P-256:P-384";

std::string text(const kdb_option* options, std::size_t n, std::string_view key,
                 std::string_view fallback = {}) {
  return std::string(kdb::sdk::find_option(options, n, key).value_or(fallback));
}

bool boolean(const kdb_option* options, std::size_t n, std::string_view key, bool fallback) {
  const auto value = kdb::sdk::find_option(options, n, key);
  if (!value) return fallback;
  if (*value == "true") return true;
  if (*value == "false") return false;
  throw std::invalid_argument(std::string(key) + " must be true or false");
}

std::vector<std::string> list(const kdb_option* options, std::size_t n, std::string_view key) {
  std::vector<std::string> items;
  std::string_view rest = kdb::sdk::find_option(options, n, key).value_or("");
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) throw std::invalid_argument(std::string(key) + " has an empty entry");
    items.emplace_back(item);
  }
  return items;
}

std::size_t max_buffered(const kdb_option* options, std::size_t n) {
  const auto value = kdb::sdk::find_option(options, n, "max_buffered");
  if (!value) return kDefaultMaxBuffered;
  std::size_t parsed = 0;
  const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), parsed);
  if (error != std::errc() || end != value->data() + value->size() || parsed < kMinBuffered) {
    throw std::invalid_argument("max_buffered must be an integer of at least " +
                                std::to_string(kMinBuffered) + " (one TLS record)");
  }
  return parsed;
}

}  // namespace

const kdb_option_spec* option_specs() {
  return kOptions;
}
std::size_t option_count() {
  return sizeof kOptions / sizeof kOptions[0];
}

Settings parse_settings(const kdb_option* options, std::size_t n) {
  Settings settings;
  const std::string role = text(options, n, "role", "server");
  if (role != "server" && role != "client") {
    throw std::invalid_argument("role must be server or client");
  }
  settings.role = role == "server" ? Role::kServer : Role::kClient;
  settings.cert_file = text(options, n, "cert_file");
  settings.key_file = text(options, n, "key_file");
  settings.ca_file = text(options, n, "ca_file");
  settings.require_client_cert = boolean(options, n, "require_client_cert", false);
  settings.allowed_identities = list(options, n, "allowed_identities");
  const std::string version = text(options, n, "min_version", "1.3");
  if (version != "1.3" && version != "1.2") {
    throw std::invalid_argument("min_version must be 1.3 or 1.2");
  }
  settings.min_version = version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  settings.ciphersuites = text(options, n, "ciphersuites", kDefaultCiphersuites);
  settings.cipher_list = text(options, n, "cipher_list", kDefaultCipherList);
  settings.groups = text(options, n, "groups", kDefaultGroups);
  settings.alpn = list(options, n, "alpn");
  for (const std::string& protocol : settings.alpn) {
    if (protocol.size() > 255) throw std::invalid_argument("alpn protocols are at most 255 bytes");
  }
  settings.session_tickets = boolean(options, n, "session_tickets", true);
  settings.server_name = text(options, n, "server_name");
  settings.max_buffered = max_buffered(options, n);

  const bool server = settings.role == Role::kServer;
  if (server && (settings.cert_file.empty() || settings.key_file.empty())) {
    throw std::invalid_argument("a server needs cert_file and key_file");
  }
  if (settings.cert_file.empty() != settings.key_file.empty()) {
    throw std::invalid_argument("cert_file and key_file go together");
  }
  if (settings.ca_file.empty() && (!server || settings.require_client_cert)) {
    throw std::invalid_argument(server ? "require_client_cert needs ca_file"
                                       : "a client needs ca_file to verify servers");
  }
  if (server && !settings.allowed_identities.empty() && !settings.require_client_cert) {
    throw std::invalid_argument("allowed_identities on a server needs require_client_cert = true");
  }
  if (!server && settings.require_client_cert) {
    throw std::invalid_argument("require_client_cert applies to a server only");
  }
  if (server && !settings.server_name.empty()) {
    throw std::invalid_argument("server_name applies to a client only");
  }
  return settings;
}

}  // namespace keepdb::tls
