// Reload suite helpers: libraries, secrets files, reload and auth probes, audit records.
#include "tests/integration/reload/reload_support.h"

#include <openssl/rand.h>

#include <sstream>
#include <stdexcept>

#include "plugins/auth-token/token_digest.h"
#include "tests/integration/harness/temp_dir.h"

#if !defined(KEEPDB_AUTH_TOKEN_SO) || !defined(KEEPDB_RATELIMIT_SO) || !defined(KEEPDB_AUDIT_SO) || \
    !defined(KEEPDB_AUDIT_TOOL)
#error "set by tests/integration/reload/CMakeLists.txt"
#endif

namespace keepdb::integration::reload {

namespace fs = std::filesystem;


fs::path auth_token_library() {
  return KEEPDB_AUTH_TOKEN_SO;
}
fs::path auth_jwt_library() {
  return KEEPDB_AUTH_JWT_SO;
}
fs::path ratelimit_library() {
  return KEEPDB_RATELIMIT_SO;
}
fs::path audit_library() {
  return KEEPDB_AUDIT_SO;
}
fs::path audit_tool() {
  return KEEPDB_AUDIT_TOOL;
}

std::string new_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  return auth_token::to_hex(bytes);
}

void write_tokens(const fs::path& path, const std::vector<Grant>& grants, fs::perms mode) {
  std::string text;
  for (const Grant& grant : grants) {
    text += auth_token::to_hex(auth_token::token_digest(grant.token)) + " " + grant.roles + " " + grant.name + "\n";
  }
  write_file(path, text);
  fs::permissions(path, mode);
}

RespValue reload(RawClient& client) {
  return client.command({"KEEPDB.RELOAD"});
}

bool authenticates(std::uint16_t port, const std::string& token, const std::string& user) {
  RawClient client(port);
  const RespValue reply =
      user.empty() ? client.command({"AUTH", token}) : client.command({"AUTH", user, token});
  return !reply.is_error() && reply.text == "OK";
}

std::vector<boost::json::object> audit_records(const fs::path& file) {
  std::vector<boost::json::object> records;
  if (!fs::exists(file)) return records;
  std::istringstream lines(read_file(file));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) records.push_back(boost::json::parse(line).as_object());
  }
  return records;
}

std::vector<boost::json::object> of_kind(const std::vector<boost::json::object>& records,
                                         std::string_view kind) {
  std::vector<boost::json::object> found;
  for (const auto& record : records) {
    if (record.at("kind").as_string() == kind) found.push_back(record);
  }
  return found;
}

}  // namespace keepdb::integration::reload
