// plugin-hello: the smallest useful KeepDB authenticator, written against the installed
// <keepdb/plugin.h> and <keepdb/plugin_sdk.hpp> only.
//
// It knows one user, named by the option `user`, whose password is the option `password`
// (marked sensitive, so keepd never logs it). `AUTH <user> <password>` is accepted with
// the roles in `roles` ("read", "read,write", ...; default "read"); a wrong password for
// that user is rejected; anything else is deferred to the next authenticator.
#include <keepdb/plugin.h>
#include <keepdb/plugin_sdk.hpp>

#include <stdexcept>
#include <string>

namespace {

struct Hello {
  std::string user;
  std::string password;
  std::uint32_t roles = KDB_ROLE_READ;
};

constexpr kdb_option_spec kOptions[] = {
    kdb::sdk::option("user", "the one user this plugin knows", KDB_OPT_REQUIRED),
    kdb::sdk::option("password", "that user's password", KDB_OPT_REQUIRED | KDB_OPT_SENSITIVE),
    kdb::sdk::option("roles", "comma-separated roles: read, write, admin (default read)", 0),
};

std::uint32_t parse_roles(std::string_view text) {
  std::uint32_t roles = 0;
  while (!text.empty()) {
    const std::string_view role = text.substr(0, text.find(','));
    const std::uint32_t bit = kdb::sdk::role_bit(role);
    if (bit == 0) {
      throw std::invalid_argument("unknown role in option roles");
    }
    roles |= bit;
    text.remove_prefix(role.size() < text.size() ? role.size() + 1 : text.size());
  }
  return roles;
}

// Compares without an early exit, so timing does not tell how much of a guess was right.
// (A production plugin stores hashes and uses CRYPTO_memcmp, as auth-token does.)
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return difference == 0;
}

kdb_status create(const kdb_host_api* host, const kdb_option* options, size_t n, void** instance,
                  kdb_outbuf* error) {
  return KDB_GUARD(error, [&] {
    // The host has already checked the schema: `user` and `password` are present.
    auto* hello = new Hello;
    hello->user = std::string(*kdb::sdk::find_option(options, n, "user"));
    hello->password = std::string(*kdb::sdk::find_option(options, n, "password"));
    if (const auto roles = kdb::sdk::find_option(options, n, "roles")) {
      try {
        hello->roles = parse_roles(*roles);
      } catch (...) {
        delete hello;
        throw;
      }
    }
    *instance = hello;
    // The host prefixes every line with the instance, "plugin 'NAME' (hello): ".
    host->log(host->ctx, KDB_LOG_INFO, kdb::sdk::str("ready for user " + hello->user));
    return KDB_OK;
  }());
}

void destroy(void* instance) {
  kdb::sdk::guard_void([&] { delete static_cast<Hello*>(instance); });
}

kdb_status authenticate(void* instance, const kdb_auth_request* request, kdb_principal* out,
                        kdb_outbuf* error) {
  return KDB_GUARD(error, [&] {
    const Hello& hello = *static_cast<const Hello*>(instance);
    if (kdb::sdk::view(request->username) != hello.user) return KDB_DEFER;
    if (!same_secret(kdb::sdk::view(request->secret), hello.password)) {
      kdb::sdk::set_message(error, "wrong password");
      return KDB_E_DENIED;
    }
    kdb::sdk::set_message(&out->name, hello.user);
    out->roles = hello.roles;
    return KDB_OK;
  }());
}

constexpr kdb_authenticator_v1 kAuthenticator{sizeof(kdb_authenticator_v1), &authenticate};

const kdb_plugin_descriptor kDescriptor{
    sizeof(kdb_plugin_descriptor),
    1,  // written for ABI 1.0: literals, not KDB_ABI_MAJOR/MINOR (plugin.h convention 3)
    0,
    "hello",
    HELLO_VERSION,
    "compiler " __VERSION__,
    KDB_KIND_AUTHENTICATOR,
    kOptions,
    sizeof kOptions / sizeof kOptions[0],
    &create,
    &destroy,
    &kAuthenticator,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace

extern "C" const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api*) {
  return &kDescriptor;
}
