// auth-cert: an authenticator that maps the client certificate the listener's transport
// (plugins/tls) verified to a principal and roles, so such a client needs no password.
// The kernel asks it with mechanism "certificate" once the TLS handshake has completed;
// for a verified peer whose CN, DNS SAN or URI SAN is listed in `principals` it answers
// principal "cert:<identity>" with that entry's roles. Everything else, including every
// password AUTH, is KDB_DEFER: the next authenticator decides.
//
// Option: principals = "client=read+write, ops=read+write+admin" (identity=roles, roles
// joined by '+'). The table is parsed once at create and immutable afterwards, so
// authenticate is thread-safe without a lock.
#include <keepdb/plugin.h>
#include <keepdb/plugin_sdk.hpp>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

constexpr kdb_option_spec kOptions[] = {
    kdb::sdk::option("principals",
                     "comma-separated identity=roles, e.g. \"client=read+write\"; the identity is "
                     "a certificate's CN, DNS SAN or URI SAN, the roles read, write, admin "
                     "joined by '+'",
                     KDB_OPT_REQUIRED),
};

struct AuthCert {
  std::map<std::string, std::uint32_t, std::less<>> roles_of;  // identity -> KDB_ROLE_* bits
};

std::string trimmed(std::string_view text) {
  const auto begin = text.find_first_not_of(' ');
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(' ');
  return std::string(text.substr(begin, end - begin + 1));
}

std::uint32_t parse_roles(const std::string& identity, std::string_view text) {
  std::uint32_t roles = 0;
  while (!text.empty()) {
    const auto plus = text.find('+');
    const std::string role = trimmed(text.substr(0, plus));
    const std::uint32_t bit = kdb::sdk::role_bit(role);
    if (bit == 0) {
      throw std::invalid_argument("principals: unknown role '" + role + "' for '" + identity +
                                  "' (roles: read, write, admin)");
    }
    roles |= bit;
    text = plus == std::string_view::npos ? std::string_view() : text.substr(plus + 1);
  }
  if (roles == 0) throw std::invalid_argument("principals: no role for '" + identity + "'");
  return roles;
}

kdb_status create(const kdb_host_api*, const kdb_option* options, size_t n, void** instance,
                  kdb_outbuf* error) {
  return kdb::sdk::guard(error, [&] {
    auto self = std::make_unique<AuthCert>();
    std::string_view text = kdb::sdk::find_option(options, n, "principals").value_or("");
    while (!text.empty()) {
      const auto comma = text.find(',');
      const std::string_view entry = text.substr(0, comma);
      const auto equals = entry.find('=');
      const std::string identity = trimmed(entry.substr(0, equals));
      if (equals == std::string_view::npos || identity.empty()) {
        throw std::invalid_argument("principals: '" + trimmed(entry) +
                                    "' is not identity=roles");
      }
      if (!self->roles_of.emplace(identity, parse_roles(identity, entry.substr(equals + 1))).second) {
        throw std::invalid_argument("principals: '" + identity + "' is listed twice");
      }
      text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    }
    if (self->roles_of.empty()) throw std::invalid_argument("principals: no entry");
    *instance = self.release();
    return KDB_OK;
  });
}

void destroy(void* instance) {
  delete static_cast<AuthCert*>(instance);
}

// The first of the peer's names (CN, then DNS SANs, then URI SANs) that the table lists.
const std::pair<const std::string, std::uint32_t>* lookup(const AuthCert& self,
                                                          const kdb_peer_identity& peer) {
  const auto find = [&](kdb_str name) -> const std::pair<const std::string, std::uint32_t>* {
    const auto it = self.roles_of.find(kdb::sdk::view(name));
    return it == self.roles_of.end() ? nullptr : &*it;
  };
  if (const auto* hit = find(peer.common_name)) return hit;
  for (std::size_t i = 0; i < peer.n_dns_sans; ++i) {
    if (const auto* hit = find(peer.dns_sans[i])) return hit;
  }
  for (std::size_t i = 0; i < peer.n_uri_sans; ++i) {
    if (const auto* hit = find(peer.uri_sans[i])) return hit;
  }
  return nullptr;
}

kdb_status authenticate(void* instance, const kdb_auth_request* request, kdb_principal* out,
                        kdb_outbuf* error) {
  return kdb::sdk::guard(error, [&] {
    const kdb_peer_identity* peer = request->conn->peer;
    if (kdb::sdk::view(request->mechanism) != "certificate" || peer == nullptr ||
        peer->verified != 1) {
      return KDB_DEFER;
    }
    const auto* hit = lookup(*static_cast<const AuthCert*>(instance), *peer);
    if (hit == nullptr) {
      kdb::sdk::set_message(error, "certificate identity not in principals");
      return KDB_DEFER;
    }
    kdb::sdk::set_message(&out->name, "cert:" + hit->first);
    out->roles = hit->second;
    return KDB_OK;
  });
}

constexpr kdb_authenticator_v1 kAuthenticator = {sizeof(kdb_authenticator_v1), authenticate};

constexpr kdb_plugin_descriptor kDescriptor = {sizeof(kdb_plugin_descriptor),
                                               1,
                                               1,
                                               "auth-cert",
                                               KEEPDB_TLS_VERSION,
                                               "no dependencies",
                                               KDB_KIND_AUTHENTICATOR,
                                               kOptions,
                                               std::size(kOptions),
                                               create,
                                               destroy,
                                               &kAuthenticator,
                                               nullptr,
                                               nullptr,
                                               nullptr};

}  // namespace

extern "C" KDB_EXPORT const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api*) {
  return &kDescriptor;
}
