// Who a client is once authenticated: a name, roles and an optional expiry. The
// connection layer keeps one per authenticated connection and checks roles per command.
//
// Thread-safety: a value type; no shared state.
#pragma once

#include <keepdb/plugin.h>

#include <cstdint>
#include <string>

namespace keepdb::plugin_host {

enum class Role : std::uint32_t {
  kRead = KDB_ROLE_READ,
  kWrite = KDB_ROLE_WRITE,
  kAdmin = KDB_ROLE_ADMIN,
};
inline constexpr std::uint32_t kAllRoles = KDB_ROLE_READ | KDB_ROLE_WRITE | KDB_ROLE_ADMIN;

struct Principal {
  std::string name;                  // for logs and audit; never a secret
  std::uint32_t roles = 0;           // bitwise OR of Role values
  std::uint64_t expires_unix_s = 0;  // 0: never expires
  std::string authenticator;         // the [[plugin]] name that accepted it

  bool has_role(Role role) const { return (roles & static_cast<std::uint32_t>(role)) != 0; }
  bool expired_at(std::uint64_t now_unix_s) const {
    return expires_unix_s != 0 && now_unix_s >= expires_unix_s;
  }
};

}  // namespace keepdb::plugin_host
