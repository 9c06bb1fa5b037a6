// Test-side token minting for the auth-jwt plugin, through OpenSSL directly: signing keys
// generated in the process (EVP_PKEY_Q_keygen, RAND_bytes; no private key is ever stored
// in the repository), their public halves as PEM or JWK text, and compact JWS tokens built
// from any header and payload JSON, so tests can also mint malformed ones. Shared by the
// unit tests, the integration tests, the fuzz target and the benchmark, with key files in a
// TempDir (tests/support/temp_dir.h).
//
// Thread-safety: a SigningKey is immutable after construction and may sign concurrently.
// Ownership: a SigningKey owns its EVP_PKEY or secret.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "plugins/auth-jwt/jwa.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace keepdb::auth_jwt::testing {

class SigningKey {
 public:
  // A fresh key of `type`: a random HMAC secret of `hmac_bytes`, RSA 2048, P-256, P-384 or
  // Ed25519.
  static SigningKey generate(KeyType type, std::size_t hmac_bytes = 32);
  // A key of `type` made once per process (RSA generation is slow under ASan); HMAC keys
  // are 64 bytes, enough for HS512.
  static const SigningKey& shared(KeyType type);
  // An HMAC key with the given secret bytes (for algorithm-confusion tests).
  static SigningKey hmac_from(std::string_view secret);

  KeyType type() const { return type_; }
  const std::string& secret() const { return secret_; }  // HMAC only
  // The public key as a PEM "PUBLIC KEY" block (not for HMAC).
  std::string public_pem() const;
  // A JWK object for the public key (for HMAC: the "oct" key with "k"), with `kid` and
  // `alg` members when non-empty.
  boost::json::object jwk(std::string_view kid, std::string_view alg = {}) const;
  // The JWS signature of `signing_input` under `alg` (r||s for ECDSA).
  std::string sign(const AlgorithmInfo& alg, std::string_view signing_input) const;

 private:
  KeyType type_ = KeyType::kHmac;
  std::string secret_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

// base64url(header).base64url(payload).base64url(signature over the first two).
std::string mint(const SigningKey& key, std::string_view alg, std::string_view header_json,
                 std::string_view payload_json);
// A token with header {"alg": alg, "typ": "JWT"[, "kid": kid]} and `claims`.
std::string mint(const SigningKey& key, std::string_view alg, const boost::json::object& claims,
                 std::string_view kid = {});

// Claims a default test policy accepts at `now`: iss, aud, sub "alice", roles
// ["read","write"], iat now, exp now + 600.
boost::json::object good_claims(std::uint64_t now);
inline constexpr std::string_view kIssuer = "https://issuer.test";
inline constexpr std::string_view kAudience = "keepdb-test";

// The key type an algorithm name needs ("HS256" -> kHmac).
KeyType key_type_for(std::string_view alg);

using ::keepdb::test::kOwnerOnly;
using ::keepdb::test::TempDir;
using ::keepdb::test::write_file;

}  // namespace keepdb::auth_jwt::testing
