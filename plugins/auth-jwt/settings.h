// The auth-jwt options: the schema the descriptor declares (one definition, so the schema
// and the parser cannot drift apart) and their parsing into the verification policy and
// the key sources. Defaults and bounds are documented in the plugin's README.
//
// Thread-safety: constants and pure functions; a Policy is immutable once parsed.
#pragma once

#include <keepdb/plugin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <keepdb/plugin_sdk.hpp>
#include "plugins/auth-jwt/jwa.h"
#include "plugins/auth-jwt/key_set.h"

namespace keepdb::auth_jwt {

inline constexpr std::array kOptionSchema{
    kdb::sdk::option("algorithms",
                     "comma-separated allow-list: HS256 HS384 HS512 RS256 RS384 RS512 PS256 ES256 "
                     "ES384 EdDSA ('none' is refused)",
                     KDB_OPT_REQUIRED),
    kdb::sdk::option("issuers", "comma-separated trusted issuers; the token's iss must be one",
                     KDB_OPT_REQUIRED),
    kdb::sdk::option("audience", "the audience this node requires in the token's aud",
                     KDB_OPT_REQUIRED),
    kdb::sdk::option("hmac_secret_file", "file of the raw HMAC secret (32-4096 bytes, mode 0600)",
                     KDB_OPT_PATH),
    kdb::sdk::option("hmac_kid", "kid of the HMAC secret (default: none)", 0),
    kdb::sdk::option("public_key_file", "PEM file of public keys (RSA, EC P-256/P-384, Ed25519)",
                     KDB_OPT_PATH),
    kdb::sdk::option("public_key_kid", "kid of the one key in public_key_file (default: none)", 0),
    kdb::sdk::option("jwks_file", "JWKS file ({\"keys\": [...]}), keys selected by kid",
                     KDB_OPT_PATH),
    kdb::sdk::option("clock_skew_s", "leeway for nbf and iat, in seconds (0-300; default 60)", 0),
    kdb::sdk::option("max_lifetime_s",
                     "longest token lifetime accepted, in seconds (60-2592000; default 3600)", 0),
    kdb::sdk::option("roles_claim",
                     "claim holding the roles, a string or an array; a dotted name not found "
                     "at the top level is a path into objects (default roles)",
                     0),
    kdb::sdk::option("role_map",
                     "claim value to roles, e.g. 'db-admin=read+write+admin,db-ro=read' "
                     "(default read=read,write=write,admin=admin)",
                     0),
    kdb::sdk::option("name_claim", "claim naming the principal (default sub)", 0),
    kdb::sdk::option("max_token_bytes", "longest token parsed, in bytes (1024-65536; default 8192)",
                     0),
};

struct RoleMapping {
  std::string value;    // a value of the roles claim
  std::uint32_t roles;  // KDB_ROLE_* bits it grants
};

struct Policy {
  std::vector<Alg> algorithms;
  std::vector<std::string> issuers;
  std::string audience;
  std::uint64_t clock_skew_s = 60;
  std::uint64_t max_lifetime_s = 3600;
  // A top-level claim of that exact name, else a dotted path into nested objects:
  // "realm_access.roles"; "https://example.com/roles" still names one claim.
  std::string roles_claim = "roles";
  std::vector<RoleMapping> role_map;
  std::string name_claim = "sub";
  std::size_t max_token_bytes = 8192;
};

struct Settings {
  Policy policy;
  KeySources keys;
};

// The value of an option by key, if it was given.
using OptionLookup = std::function<std::optional<std::string_view>(std::string_view key)>;

// Parses every option. Throws std::invalid_argument naming the option and the problem.
// Does not read the key files (KeySet::load does).
Settings parse_settings(const OptionLookup& lookup);

}  // namespace keepdb::auth_jwt
