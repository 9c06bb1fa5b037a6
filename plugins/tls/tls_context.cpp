// Context: the SSL_CTX of one instance, built from Settings (see tls_context.h).
#include "plugins/tls/tls_context.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <keepdb/plugin_sdk.hpp>
#include <keepdb/secret_bytes.hpp>
#include <stdexcept>

#include "plugins/tls/certificate_names.h"

namespace keepdb::tls {
namespace {

constexpr long kMaxKeyFileBytes = 1 << 20;
constexpr int kExpiryWarningDays = 14;
constexpr std::size_t kMaxCachedServers = 1024;  // client ticket cache entries
constexpr unsigned char kSessionIdContext[] = "keepdb-tls";

// The reason of OpenSSL's most recent error on this thread, and the queue cleared.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

[[noreturn]] void refuse(const std::string& message) {
  throw std::invalid_argument(message);
}

// OpenSSL reports a missing or unreadable file as "system lib": say what the system said.
void require_readable(const char* option, const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0) {
    refuse(std::string(option) + " " + path + ": " + std::strerror(errno));
  }
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads the key file once, through one descriptor: the mode checked is the file read. The
// text is held in wiped memory; encrypted keys are refused rather than prompting.
EVP_PKEY* load_private_key(const std::string& path) {
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) refuse("key_file " + path + ": " + std::strerror(errno));
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) refuse("key_file " + path + ": " + std::strerror(errno));
  if (!S_ISREG(status.st_mode)) refuse("key_file " + path + " is not a regular file");
  if ((status.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
    refuse("key_file " + path + " has mode " + mode +
           ": group or others may access it; chmod 600 it");
  }
  if (status.st_size > kMaxKeyFileBytes) refuse("key_file " + path + " is larger than 1 MiB");
  kdb::sdk::SecretBytes text =
      kdb::sdk::SecretBytes::zeroed(static_cast<std::size_t>(status.st_size));
  std::size_t filled = 0;
  while (filled < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + filled, text.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) refuse("key_file " + path + ": short read");
    filled += static_cast<std::size_t>(n);
  }
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
  const auto no_passphrase = [](char*, int, int, void*) { return 0; };
  EVP_PKEY* key =
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr;
  if (key == nullptr) {
    ERR_clear_error();  // OpenSSL's reason may quote the file; say what is wrong instead
    refuse("key_file " + path + " holds no unencrypted PEM private key");
  }
  return key;
}

std::string time_text(const ASN1_TIME* time) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  char* data = nullptr;
  if (!bio || ASN1_TIME_print(bio.get(), time) != 1) return "?";
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void log(const kdb_host_api* host, int level, const std::string& line) {
  if (host != nullptr && host->log != nullptr) host->log(host->ctx, level, kdb::sdk::str(line));
}

// Server: picks our most preferred protocol the client offers; none in common is fatal.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void* arg) {
  const std::string& ours = *static_cast<const std::string*>(arg);
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_len, reinterpret_cast<const unsigned char*>(ours.data()),
                            static_cast<unsigned>(ours.size()), in,
                            in_len) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// Whether `name` may go in SNI: a DNS name (letters, digits, '-', '.'), not an address.
bool is_host_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  const bool allowed = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
  });
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
  ASN1_OCTET_STRING_free(ip);
  return allowed && ip == nullptr;
}

int ticket_key_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Client: a new ticket from the server, kept for the next connection to the same server.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  const auto* key = static_cast<const std::string*>(SSL_get_ex_data(ssl, ticket_key_index()));
  if (key == nullptr) return 0;
  Context::of(ssl).store_session(*key, session);
  return 1;  // the reference is ours now
}

}  // namespace

Context::Context(Settings settings, const kdb_host_api* host) : settings_(std::move(settings)) {
  ctx_ = SSL_CTX_new(TLS_method());
  if (ctx_ == nullptr) throw std::bad_alloc();
  try {
    configure(host);
    if (settings_.role == Role::kServer && settings_.require_client_cert) {
      Settings dialer = settings_;
      dialer.role = Role::kClient;
      dialer.require_client_cert = false;
      dialer_ = std::make_shared<const Context>(std::move(dialer), nullptr);  // logged above
    }
  } catch (...) {
    SSL_CTX_free(ctx_);
    throw;
  }
}

std::shared_ptr<const Context> Context::for_connection(std::shared_ptr<const Context> context,
                                                       const kdb_conn_info* conn) {
  const bool told = conn != nullptr && KDB_HAS(kdb_conn_info, conn, server_name);
  const bool dialed = told && conn->dialed != 0;
  const bool client = context->settings_.role == Role::kClient;
  if (told && !dialed && client) {
    throw std::invalid_argument("a role = \"client\" instance cannot accept connections");
  }
  if (!dialed || client) return context;
  if (!context->dialer_) {
    throw std::invalid_argument(
        "a server instance dials peers only with require_client_cert = true (mutual TLS)");
  }
  return context->dialer_;
}

Context::~Context() {
  for (auto& [key, session] : tickets_) SSL_SESSION_free(session);
  SSL_CTX_free(ctx_);
}

void Context::configure(const kdb_host_api* host) {
  SSL_CTX_set_app_data(ctx_, this);
  const bool server = settings_.role == Role::kServer;
  SSL_CTX_set_options(
      ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_min_proto_version(ctx_, settings_.min_version);
  SSL_CTX_set_max_proto_version(ctx_, TLS1_3_VERSION);
  if (SSL_CTX_set_ciphersuites(ctx_, settings_.ciphersuites.c_str()) != 1) {
    refuse("ciphersuites '" + settings_.ciphersuites + "': " + openssl_reason());
  }
  if (SSL_CTX_set_cipher_list(ctx_, settings_.cipher_list.c_str()) != 1) {
    refuse("cipher_list '" + settings_.cipher_list + "': " + openssl_reason());
  }
  if (SSL_CTX_set1_groups_list(ctx_, settings_.groups.c_str()) != 1) {
    refuse("groups '" + settings_.groups + "': " + openssl_reason());
  }

  std::string certificate = "none";
  if (!settings_.cert_file.empty()) {
    require_readable("cert_file", settings_.cert_file);
    if (SSL_CTX_use_certificate_chain_file(ctx_, settings_.cert_file.c_str()) != 1) {
      refuse("cert_file " + settings_.cert_file + ": " + openssl_reason());
    }
    EVP_PKEY* key = load_private_key(settings_.key_file);
    const int used = SSL_CTX_use_PrivateKey(ctx_, key);
    EVP_PKEY_free(key);
    if (used != 1 || SSL_CTX_check_private_key(ctx_) != 1) {
      ERR_clear_error();
      refuse("key_file " + settings_.key_file + " does not match cert_file " + settings_.cert_file);
    }
    const X509* leaf = SSL_CTX_get0_certificate(ctx_);
    const ASN1_TIME* not_after = X509_get0_notAfter(leaf);
    if (X509_cmp_current_time(not_after) <= 0) {
      refuse("cert_file " + settings_.cert_file + " expired on " + time_text(not_after));
    }
    int days = 0;
    int seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, not_after) == 1 && days < kExpiryWarningDays) {
      log(host, KDB_LOG_WARN,
          "cert_file " + settings_.cert_file + " expires in " + std::to_string(days) + " days (" +
              time_text(not_after) + ")");
    }
    certificate = CertificateNames::of(leaf).describe() + " (expires " + time_text(not_after) + ")";
  }

  if (!settings_.ca_file.empty()) {
    require_readable("ca_file", settings_.ca_file);
    if (SSL_CTX_load_verify_locations(ctx_, settings_.ca_file.c_str(), nullptr) != 1) {
      refuse("ca_file " + settings_.ca_file + ": " + openssl_reason());
    }
    if (server) {
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(settings_.ca_file.c_str());
      if (names != nullptr) SSL_CTX_set_client_CA_list(ctx_, names);
      ERR_clear_error();
    }
  }
  int verify = SSL_VERIFY_NONE;
  if (!server || !settings_.ca_file.empty()) verify = SSL_VERIFY_PEER;
  if (settings_.require_client_cert) verify |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx_, verify, nullptr);  // each session installs its own callback

  for (const std::string& protocol : settings_.alpn) {
    alpn_wire_ += static_cast<char>(protocol.size());
    alpn_wire_ += protocol;
  }
  if (!alpn_wire_.empty() && server) {
    SSL_CTX_set_alpn_select_cb(ctx_, &select_alpn, &alpn_wire_);
  } else if (!alpn_wire_.empty() &&
             SSL_CTX_set_alpn_protos(ctx_,
                                     reinterpret_cast<const unsigned char*>(alpn_wire_.data()),
                                     static_cast<unsigned>(alpn_wire_.size())) != 0) {
    throw std::bad_alloc();
  }

  if (!settings_.session_tickets) {
    SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx_, 0);
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  } else if (server) {
    SSL_CTX_set_session_id_context(ctx_, kSessionIdContext, sizeof kSessionIdContext - 1);
  } else {
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx_, &on_new_session);
  }

  std::string peers = server ? (settings_.require_client_cert ? "client certificates required"
                                : !settings_.ca_file.empty()  ? "client certificates optional"
                                                              : "no client certificates")
                             : "servers verified";
  if (!settings_.ca_file.empty()) peers += " against " + settings_.ca_file;
  std::string allowed;
  for (const std::string& entry : settings_.allowed_identities) {
    allowed += (allowed.empty() ? "" : ",") + entry;
  }
  std::string alpn;
  for (const std::string& protocol : settings_.alpn) alpn += (alpn.empty() ? "" : ",") + protocol;
  log(host, KDB_LOG_INFO,
      std::string(server ? "server" : "client") + ", TLS " +
          (settings_.min_version == TLS1_3_VERSION ? "1.3 only" : "1.2 and 1.3") +
          "; certificate " + certificate + "; " + peers + "; allowed identities: " +
          (allowed.empty() ? "any" : allowed) + "; ALPN: " + (alpn.empty() ? "none" : alpn) +
          "; session tickets " + (settings_.session_tickets ? "on" : "off"));
}

SSL* Context::new_ssl(const std::string* ticket_key, const std::string& sni) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  if (settings_.role == Role::kServer) {
    SSL_set_accept_state(ssl);
    return ssl;
  }
  SSL_set_connect_state(ssl);
  SSL_set_ex_data(ssl, ticket_key_index(), const_cast<std::string*>(ticket_key));
  if (SSL_SESSION* cached = take_session(*ticket_key)) {
    SSL_set_session(ssl, cached);
    SSL_SESSION_free(cached);
  }
  const std::string& name = settings_.server_name;
  if (!name.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
    const bool named = ip != nullptr ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1
                                     : SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 &&
                                           SSL_set1_host(ssl, name.c_str()) == 1;
    ASN1_OCTET_STRING_free(ip);
    if (!named) {
      SSL_free(ssl);
      return nullptr;
    }
  } else if (is_host_name(sni) && SSL_set_tlsext_host_name(ssl, sni.c_str()) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  return ssl;
}

SSL_SESSION* Context::take_session(const std::string& key) const {
  const std::lock_guard lock(tickets_mutex_);
  const auto found = tickets_.find(key);
  if (found == tickets_.end()) return nullptr;
  SSL_SESSION* session = found->second;
  tickets_.erase(found);
  return session;
}

void Context::store_session(const std::string& key, SSL_SESSION* session) const {
  const std::lock_guard lock(tickets_mutex_);
  if (tickets_.size() >= kMaxCachedServers && tickets_.count(key) == 0) {
    SSL_SESSION_free(tickets_.begin()->second);  // any one: the cache is a hint, not a record
    tickets_.erase(tickets_.begin());
  }
  SSL_SESSION*& slot = tickets_[key];
  if (slot != nullptr) SSL_SESSION_free(slot);
  slot = session;
}

const Context& Context::of(const SSL* ssl) {
  return *static_cast<const Context*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

}  // namespace keepdb::tls
