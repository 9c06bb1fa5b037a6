// The JSON Web Algorithms (RFC 7518, RFC 8037) this plugin verifies, the keys each needs, and
// signature verification through OpenSSL EVP. An algorithm names exactly one key type, so
// an HMAC secret is never used as a public key nor a public key as an HMAC secret (the
// algorithm-confusion attack), whatever the token's header says.
//
// Thread-safety: the table is constant; verify_signature may run concurrently, also on the
// same Key (OpenSSL 3 allows concurrent use of one EVP_PKEY). Ownership: a Key owns its
// EVP_PKEY and its secret (wiped when the Key goes).
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <keepdb/secret_bytes.hpp>

namespace keepdb::auth_jwt {

enum class KeyType { kHmac, kRsa, kEcP256, kEcP384, kEdwards };

enum class Alg { kHS256, kHS384, kHS512, kRS256, kRS384, kRS512, kPS256, kES256, kES384, kEdDSA };

struct AlgorithmInfo {
  Alg alg;
  std::string_view name;   // the JWS "alg" value
  KeyType key_type;        // the only key type that may verify it
  const char* digest;      // OpenSSL digest name; nullptr for EdDSA (no pre-hash)
  std::size_t hash_bytes;  // HMAC: the shortest key RFC 7518 allows; ECDSA: |r| = |s|
  bool pss = false;        // RSASSA-PSS (salt length = hash length, MGF1 same hash)
};

// Every algorithm this plugin knows, in the order the README lists them.
std::span<const AlgorithmInfo> all_algorithms();
// The algorithm named `name` (case-sensitive, as JWS requires), or nullptr ("none" too).
const AlgorithmInfo* find_algorithm(std::string_view name);
const AlgorithmInfo& algorithm_info(Alg alg);
// "an HMAC secret", "an RSA public key", "a P-256 public key", ...
std::string_view describe(KeyType type);

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PublicKey = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct Key {
  std::string kid;  // empty: the key has no id and serves only tokens without a kid
  KeyType type = KeyType::kHmac;
  std::optional<Alg> alg;        // a JWK's "alg": the only algorithm this key verifies
  kdb::sdk::SecretBytes secret;  // kHmac
  PublicKey public_key;          // every other type
  std::string origin;            // where it came from, for messages: "jwks_file key 2"
};

// Whether `key` may verify tokens of `alg`: its type, its own "alg" restriction, and for
// HMAC a secret at least as long as the hash (RFC 7518 section 3.2).
bool usable_for(const Key& key, const AlgorithmInfo& alg);

// Whether `signature` (the decoded third part of a JWS) signs `signing_input` (the ASCII
// "header.payload") under `key` with `alg`. `key` must be usable_for `alg`. HMAC tags are
// compared in constant time. Throws std::runtime_error only when OpenSSL itself fails
// (out of memory, a missing provider), never for a bad signature.
bool verify_signature(const AlgorithmInfo& alg, const Key& key, std::string_view signing_input,
                      std::string_view signature);

}  // namespace keepdb::auth_jwt
