// The whole decision on one presented token: size, shape, header (alg allow-list, crit,
// kid), signature with the selected key, then the claims (exp, nbf, iat, lifetime, iss,
// aud, the principal's name, the username, roles). The signature is checked before any
// claim is read, and no reason ever contains the token (only short, sanitised public
// identifiers: an alg, a kid, an issuer).
//
// Thread-safety: a Verifier is immutable; verify() may run concurrently on several threads.
// Ownership: owns its policy and keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "plugins/auth-jwt/key_set.h"
#include "plugins/auth-jwt/settings.h"

namespace keepdb::auth_jwt {

struct Verdict {
  enum class Outcome {
    kAccepted,  // name, roles and expires_unix_s are set
    kRejected,  // a JWT (two dots) that fails a check, or a token over max_token_bytes
    kNotMine,   // not shaped like a JWT: another authenticator may know the secret
  };
  Outcome outcome = Outcome::kNotMine;
  std::string reason;  // for the log and the client's error; never the token
  std::string name;
  std::uint32_t roles = 0;           // KDB_ROLE_* bits
  std::uint64_t expires_unix_s = 0;  // the token's exp
};

class Verifier {
 public:
  Verifier(Policy policy, KeySet keys) : policy_(std::move(policy)), keys_(std::move(keys)) {}
  // Parses the options and loads the keys they name. Throws std::invalid_argument.
  static Verifier create(const OptionLookup& lookup);

  // `username` empty or "default" means the client named no user; otherwise it must equal
  // the token's sub. `now_unix_s` is the wall clock.
  Verdict verify(std::string_view username, std::string_view token, std::uint64_t now_unix_s) const;

  const Policy& policy() const { return policy_; }
  const KeySet& keys() const { return keys_; }

 private:
  Policy policy_;
  KeySet keys_;
};

}  // namespace keepdb::auth_jwt
