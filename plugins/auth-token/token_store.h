// The tokens one auth-token instance accepts: loaded from a secrets file of SHA-256
// hashes, checked against presented tokens in constant time.
//
// Secrets file: one entry per line, `<sha256-hex> <role>[,<role>...] [<name>]`, roles
// among read, write, admin; blank lines and lines starting with '#' are ignored. The file
// must be a regular file not readable or writable by group or others.
//
// Secrets in memory: the file's text is read into wiped memory (include/keepdb/secret_bytes.hpp) and
// parsed in place; the digests kept are wiped when the store goes, and so is the digest of
// each presented token once compared. (The token itself is the host's: it wipes it.)
//
// Thread-safety: a loaded TokenStore is immutable; verify() may run concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/auth-token/token_digest.h"
#include <keepdb/secret_bytes.hpp>

namespace keepdb::auth_token {

struct TokenEntry {
  TokenDigest digest;
  std::uint32_t roles = 0;  // KDB_ROLE_* bits
  std::string name;         // the line's name, or "token:<first 8 hex digits>"
};

struct Verdict {
  enum class Outcome {
    kAccepted,  // entry is set
    kRejected,  // the client named a user this store knows, and the token is not theirs
    kNotMine,   // no entry matches: another authenticator may know the secret
  };
  Outcome outcome = Outcome::kNotMine;
  const TokenEntry* entry = nullptr;
  std::string_view reason;  // static text for the log; never the token
};

class TokenStore {
 public:
  // Throws std::invalid_argument naming the file and line (never a token or hash) when
  // the file is unsafe, unreadable or malformed, or min_length is below kMinTokenLength.
  static TokenStore load(const std::string& secrets_file, std::size_t min_length);

  // `username` empty or "default" means the client named no user.
  Verdict verify(std::string_view username, std::string_view token) const;

  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<TokenEntry, kdb::sdk::WipingAllocator<TokenEntry>> entries_;
  std::size_t min_length_ = kMinTokenLength;
};

}  // namespace keepdb::auth_token
