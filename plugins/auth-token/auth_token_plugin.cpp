// The auth-token plugin's ABI surface: descriptor, option schema, create/destroy and the
// authenticate entry, all behind the SDK's exception barrier. The logic is TokenStore.
#include <keepdb/plugin.h>
#include <openssl/opensslv.h>
#include <keepdb/plugin_sdk.hpp>

#include <charconv>
#include <stdexcept>
#include <string>

#include "plugins/auth-token/token_store.h"

namespace {

using keepdb::auth_token::TokenStore;
using keepdb::auth_token::Verdict;

constexpr kdb_option_spec kOptions[] = {
    kdb::sdk::option("secrets_file",
                     "file of `<sha256-hex> <roles> [name]` lines, mode 0600; a relative path is "
                     "relative to the config file's directory",
                     KDB_OPT_REQUIRED | KDB_OPT_PATH),
    kdb::sdk::option("min_token_length",
                     "shortest token accepted, in bytes (16 to 4096; default 16)", 0),
};

std::size_t parse_min_length(std::string_view text) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument("min_token_length must be an integer");
  }
  return value;
}

kdb_status create_store(const kdb_option* options, size_t n_options, void** instance,
                        kdb_outbuf* error) {
  // The host has checked the schema: secrets_file is present.
  const std::string file(*kdb::sdk::find_option(options, n_options, "secrets_file"));
  const auto min_length = kdb::sdk::find_option(options, n_options, "min_token_length");
  try {
    *instance = new TokenStore(TokenStore::load(
        file, min_length ? parse_min_length(*min_length) : keepdb::auth_token::kMinTokenLength));
  } catch (const std::invalid_argument& invalid) {
    kdb::sdk::set_message(error, invalid.what());
    return KDB_E_INVALID;
  }
  return KDB_OK;
}

kdb_status verify(const TokenStore& store, const kdb_auth_request& request, kdb_principal& out,
                  kdb_outbuf& error) {
  const Verdict verdict =
      store.verify(kdb::sdk::view(request.username), kdb::sdk::view(request.secret));
  switch (verdict.outcome) {
    case Verdict::Outcome::kAccepted:
      kdb::sdk::set_message(&out.name, verdict.entry->name);
      out.roles = verdict.entry->roles;
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

kdb_status create(const kdb_host_api*, const kdb_option* options, size_t n_options, void** instance,
                  kdb_outbuf* error) {
  return KDB_GUARD(error, create_store(options, n_options, instance, error));
}

void destroy(void* instance) {
  kdb::sdk::guard_void([&] { delete static_cast<TokenStore*>(instance); });
}

kdb_status authenticate(void* instance, const kdb_auth_request* request, kdb_principal* out,
                        kdb_outbuf* error) {
  return KDB_GUARD(error,
                   verify(*static_cast<const TokenStore*>(instance), *request, *out, *error));
}

constexpr kdb_authenticator_v1 kAuthenticator{sizeof(kdb_authenticator_v1), &authenticate};

const kdb_plugin_descriptor kDescriptor{
    sizeof(kdb_plugin_descriptor),
    1,  // ABI major this plugin was written for (plugin.h convention 3)
    1,  // ABI minor: 1.1 for KDB_OPT_PATH
    "auth-token",
    KEEPDB_AUTH_TOKEN_VERSION,
    "compiler " __VERSION__ "; " OPENSSL_VERSION_TEXT,
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

// Refuses a 1.0 host, which would not resolve secrets_file (KDB_OPT_PATH is 1.1).
extern "C" const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api* host) {
  return host != nullptr && host->abi_minor >= 1 ? &kDescriptor : nullptr;
}
