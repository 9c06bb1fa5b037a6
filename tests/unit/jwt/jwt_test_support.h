// What the auth-jwt unit tests share: a scratch directory with key files and the options of
// one Verifier, created the way the plugin creates it (Verifier::create over the options).
//
// Thread-safety: none; one per test.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "plugins/auth-jwt/verifier.h"
#include "tests/unit/jwt/jwt_mint.h"

namespace keepdb::auth_jwt::testing {

inline constexpr std::uint64_t kNow = 1'900'000'000;  // a fixed wall clock for the verifier

struct VerifierSetup {
  // Options accepting every algorithm, the test issuer and audience; no key yet.
  VerifierSetup();

  // Adds a JWKS file holding the public JWK (or oct JWK) of each key with its kid.
  void jwks(std::initializer_list<std::pair<std::string_view, const SigningKey*>> keys);
  // Points hmac_secret_file at a new 0600 file holding `key`'s secret.
  void hmac_file(const SigningKey& key);
  // Points public_key_file at a new file holding `key`'s public PEM.
  void pem_file(const SigningKey& key);

  Verifier create() const;
  // create() and verify `token` (no username) at kNow.
  Verdict verify(const std::string& token, std::string_view username = {}) const;

  TempDir dir;
  std::map<std::string, std::string, std::less<>> options;
};

// A token of `alg` signed by the shared key of its type, carrying `kid` if non-empty.
std::string token_for(std::string_view alg, const boost::json::object& claims,
                      std::string_view kid = {});

}  // namespace keepdb::auth_jwt::testing
