// The keys one auth-jwt instance verifies with, loaded once when the instance is created
// (a reload creates a new instance, so a new key set never mixes with the old one): an
// HMAC secret file, a PEM file of public keys, and a JWKS file, in any combination, so
// several keys are valid at once during a rotation.
//
// Thread-safety: a loaded KeySet is immutable; keys() may be read concurrently.
// Ownership: the KeySet owns every Key (secrets wiped when it goes).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "plugins/auth-jwt/jwa.h"

namespace keepdb::auth_jwt {

// Where keys come from; empty paths are not read. Paths are used as given (the host
// resolves them against the config file's directory).
struct KeySources {
  std::string hmac_secret_file;  // raw bytes, 32 to 4096, mode 0600
  std::string hmac_kid;          // kid of that secret; empty: none
  std::string public_key_file;   // PEM "PUBLIC KEY" blocks (RSA >= 2048 bits, P-256, P-384,
                                 // Ed25519, Ed448)
  std::string public_key_kid;    // kid of the key in public_key_file (one key only)
  std::string jwks_file;         // RFC 7517 {"keys": [...]}; mode 0600 if it holds "oct" keys
};

inline constexpr std::size_t kMaxKeys = 64;
inline constexpr std::size_t kMinHmacBytes = 32;
inline constexpr std::size_t kMaxHmacBytes = 4096;
inline constexpr std::size_t kMinRsaBits = 2048;

class KeySet {
 public:
  // Throws std::invalid_argument naming the option, the file and the problem (never a
  // key's bytes) when a file is unsafe, unreadable or malformed, when no key is given, when
  // two keys share a kid, or when there are more than kMaxKeys.
  static KeySet load(const KeySources& sources);

  std::span<const Key> keys() const { return keys_; }
  // One line for the log: how many keys of which kinds, and their kids.
  std::string summary() const;

 private:
  std::vector<Key> keys_;
};

}  // namespace keepdb::auth_jwt
