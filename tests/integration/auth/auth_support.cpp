// Shared principals, token hashing, and reply/log helpers for the auth tests.
#include "tests/integration/auth/auth_support.h"

#include <cstdlib>
#include <stdexcept>

#include "plugins/auth-token/token_digest.h"

namespace keepdb::integration::auth {

std::vector<Grant> standard_grants() {
  return {kOps, kWriter, kDashboard, kIngest};
}

AuthSetup standard_setup(std::vector<Provider> chain) {
  AuthSetup setup;
  setup.chain = std::move(chain);
  setup.grants = standard_grants();
  return setup;
}

std::string token_hash(std::string_view token) {
  return auth_token::to_hex(auth_token::token_digest(token));
}

std::string error_of(const RespValue& reply) {
  if (reply.is_error()) return reply.text;
  return "(not an error: " + reply.describe() + ")";
}

std::optional<RespValue> map_value(const RespValue& map, std::string_view key) {
  if (map.type != '%' && map.type != '*') return std::nullopt;
  for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].text == key) return map.elements[i + 1];
  }
  return std::nullopt;
}

RespValue auth(RawClient& client, const std::vector<std::string>& args) {
  std::vector<std::string> command{"AUTH"};
  command.insert(command.end(), args.begin(), args.end());
  return client.command(command);
}

bool reply_arrived(RawClient& client) {
  try {
    client.read_reply_bytes(1ms);
    return true;
  } catch (const std::runtime_error&) {
    return false;  // nothing whole yet (or closed: the caller's next read will say so)
  }
}

std::string line_with(const std::string& log, std::initializer_list<std::string_view> parts) {
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string_view line(log.data() + start, end - start);
    bool all = true;
    for (const std::string_view part : parts) all = all && line.find(part) != line.npos;
    if (all) return std::string(line);
    start = end + 1;
  }
  return {};
}

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str())) previous_ = old;
  ::setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (previous_) {
    ::setenv(name_.c_str(), previous_->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

}  // namespace keepdb::integration::auth
