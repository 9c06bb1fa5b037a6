// Owns the small helpers of the reload suite: the built provider libraries it loads, an
// auth-token secrets file written from tokens, KEEPDB.RELOAD on a connection, "does this
// token authenticate on a new connection", and the records of the audit plugin's file.
//
// Thread-safety: pure functions, or one call per test thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration::reload {

std::filesystem::path auth_token_library();
std::filesystem::path auth_jwt_library();
std::filesystem::path ratelimit_library();
std::filesystem::path audit_library();
// The keepdb-audit tool (verify, tail).
std::filesystem::path audit_tool();

// A 64-hex-digit token, different on every call.
std::string new_token();

// One secrets-file line: the token is hashed when the file is written.
struct Grant {
  std::string token;
  std::string roles;  // "read,write,admin"
  std::string name;
};

// Writes the auth-token secrets file at `path` with mode `mode` (0600 unless a test wants a
// file the plugin must refuse).
void write_tokens(const std::filesystem::path& path, const std::vector<Grant>& grants,
                  std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                std::filesystem::perms::owner_write);

// KEEPDB.RELOAD on `client`: the reply.
RespValue reload(RawClient& client);

// Whether `AUTH <token>` (or `AUTH <user> <token>`) succeeds on a new connection.
bool authenticates(std::uint16_t port, const std::string& token, const std::string& user = {});

// The records of an audit plugin file (one JSON object per line); a missing file has none.
std::vector<boost::json::object> audit_records(const std::filesystem::path& file);
// The records of `kind` ("config_reload", "write", ...) in `records`.
std::vector<boost::json::object> of_kind(const std::vector<boost::json::object>& records,
                                         std::string_view kind);

}  // namespace keepdb::integration::reload
