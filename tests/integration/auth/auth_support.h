// Owns what the auth tests share besides the server: the principals (tokens, roles, names)
// most tests configure, Redis's exact auth error texts, token hashing, and small reply and
// log helpers.
//
// Thread-safety: constants and pure functions, except ScopedEnv (process environment; use
// it before starting any thread that reads the environment).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/auth/auth_keepd.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/resp_reader.h"

namespace keepdb::integration::auth {

// Redis 7's texts, which KeepDB repeats word for word.
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kSyntaxError = "ERR syntax error";

// Principals with distinct roles. Tokens are at least the plugin's 16-byte minimum.
inline const Grant kOps{"ops-7f3a9c2e51d04b68aa91", "read,write,admin", "ops"};
inline const Grant kWriter{"writer-5b92e0d7a3c1f846e2", "read,write", "writer"};
inline const Grant kDashboard{"dashboard-c41e8b27d9a6f0135", "read", "dashboard"};
// Write-only: a producer that stores but must not read values back.
inline const Grant kIngest{"ingest-3e8d1f6a0b7c52d94e", "write", "ingest"};
// A token of the right shape that no secrets file lists.
inline constexpr std::string_view kUnknownToken = "unknown-0d5e9a4c71b2f8e36";

// The four principals above; most tests start keepd with these.
std::vector<Grant> standard_grants();
// A keepd with `chain` (tokens only by default) and the standard grants, started.
AuthSetup standard_setup(std::vector<Provider> chain = {Provider::kTokens});

// SHA-256 hex of a token: the plugin's own definition (plugins/auth-token/token_digest.h).
std::string token_hash(std::string_view token);

// The error text of a reply (without '-'), or a description saying it was no error, so
// CHECK(error_of(reply) == kNoAuth) prints both sides usefully.
std::string error_of(const RespValue& reply);
// The value under `key` in a RESP3 map (or a RESP2 flat key/value array); nullopt if absent.
std::optional<RespValue> map_value(const RespValue& map, std::string_view key);

// Sends `AUTH args...` and returns the reply.
RespValue auth(RawClient& client, const std::vector<std::string>& args);
// True if a whole reply is already waiting on `client` (it is consumed).
bool reply_arrived(RawClient& client);

// The first log line holding every one of `parts`; empty if none does.
std::string line_with(const std::string& log, std::initializer_list<std::string_view> parts);

// Sets an environment variable for its lifetime (keepd children inherit it), then restores
// the previous value.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> previous_;
};

}  // namespace keepdb::integration::auth
