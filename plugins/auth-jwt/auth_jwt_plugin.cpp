// The auth-jwt plugin's ABI surface: descriptor, option schema, create/destroy and the
// authenticate entry, all behind the SDK's exception barrier. The decision is Verifier's.
#include <keepdb/plugin.h>
#include <openssl/opensslv.h>
#include <keepdb/plugin_sdk.hpp>

#include <boost/version.hpp>

#include <stdexcept>
#include <string>

#include "plugins/auth-jwt/settings.h"
#include "plugins/auth-jwt/verifier.h"

namespace {

using keepdb::auth_jwt::Verdict;
using keepdb::auth_jwt::Verifier;

// One instance: the host's services (for the wall clock) and the verifier built from the
// options and key files at create() time. Immutable, so authenticate may run concurrently.
struct Instance {
  const kdb_host_api* host;
  Verifier verifier;
};

kdb_status create_instance(const kdb_host_api* host, const kdb_option* options, size_t n_options,
                           void** instance, kdb_outbuf* error) {
  try {
    auto created = new Instance{host, Verifier::create([&](std::string_view key) {
                                  return kdb::sdk::find_option(options, n_options, key);
                                })};
    *instance = created;
    const std::string line = "verifying with " + created->verifier.keys().summary();
    host->log(host->ctx, KDB_LOG_INFO, kdb::sdk::str(line));
  } catch (const std::invalid_argument& invalid) {
    kdb::sdk::set_message(error, invalid.what());
    return KDB_E_INVALID;
  }
  return KDB_OK;
}

kdb_status verify(const Instance& self, const kdb_auth_request& request, kdb_principal& out,
                  kdb_outbuf& error) {
  const std::uint64_t now_unix_s = self.host->wall_ns(self.host->ctx) / 1'000'000'000u;
  const Verdict verdict = self.verifier.verify(kdb::sdk::view(request.username),
                                               kdb::sdk::view(request.secret), now_unix_s);
  switch (verdict.outcome) {
    case Verdict::Outcome::kAccepted:
      kdb::sdk::set_message(&out.name, verdict.name);
      out.roles = verdict.roles;
      out.expires_unix_s = verdict.expires_unix_s;
      return KDB_OK;
    case Verdict::Outcome::kRejected:
      kdb::sdk::set_message(&error, verdict.reason);
      return KDB_E_DENIED;
    case Verdict::Outcome::kNotMine:
      break;
  }
  kdb::sdk::set_message(&error, verdict.reason);
  return KDB_DEFER;
}

kdb_status create(const kdb_host_api* host, const kdb_option* options, size_t n_options,
                  void** instance, kdb_outbuf* error) {
  return KDB_GUARD(error, create_instance(host, options, n_options, instance, error));
}

void destroy(void* instance) {
  kdb::sdk::guard_void([&] { delete static_cast<Instance*>(instance); });
}

kdb_status authenticate(void* instance, const kdb_auth_request* request, kdb_principal* out,
                        kdb_outbuf* error) {
  return KDB_GUARD(error, verify(*static_cast<const Instance*>(instance), *request, *out, *error));
}

constexpr kdb_authenticator_v1 kAuthenticator{sizeof(kdb_authenticator_v1), &authenticate};

const kdb_plugin_descriptor kDescriptor{
    sizeof(kdb_plugin_descriptor),
    1,  // ABI major this plugin was written for (plugin.h convention 3)
    1,  // ABI minor: 1.1 for KDB_OPT_PATH
    "auth-jwt",
    KEEPDB_AUTH_JWT_VERSION,
    "compiler " __VERSION__ "; " OPENSSL_VERSION_TEXT "; Boost " BOOST_LIB_VERSION,
    KDB_KIND_AUTHENTICATOR,
    keepdb::auth_jwt::kOptionSchema.data(),
    keepdb::auth_jwt::kOptionSchema.size(),
    &create,
    &destroy,
    &kAuthenticator,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace

// Refuses a 1.0 host, which would not resolve the key file paths (KDB_OPT_PATH is 1.1).
extern "C" const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api* host) {
  return host != nullptr && host->abi_minor >= 1 ? &kDescriptor : nullptr;
}
