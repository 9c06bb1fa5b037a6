// The command families the command table is built from, one source file each, plus the
// small helpers they share.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kernel/commands/command.h"
#include "kernel/commands/errors.h"

namespace keepdb::commands {

std::span<const CommandSpec> string_commands();      // string_commands.cpp
std::span<const CommandSpec> keyspace_commands();    // keyspace_commands.cpp
std::span<const CommandSpec> expiry_commands();      // expiry_commands.cpp
std::span<const CommandSpec> connection_commands();  // connection_commands.cpp
std::span<const CommandSpec> server_commands();      // server_commands.cpp
std::span<const CommandSpec> cluster_commands();     // cluster_commands.cpp
std::span<const CommandSpec> transaction_commands();  // transaction_commands.cpp

// An immediate command that takes no keys and may not run before authentication: only
// these fields vary (the cluster and transaction tables are built of them).
constexpr CommandSpec keyless_command(std::string_view group, std::string_view name, int arity,
                                      Access access, std::string_view since,
                                      std::string_view summary, void (*execute)(ExecContext&)) {
  return {.name = name, .arity = arity, .access = access, .before_auth = false, .first_key = 0,
          .last_key = 0, .key_step = 0, .group = group, .since = since, .summary = summary,
          .execute = execute};
}

inline bool equals_ignore_case(std::string_view a, std::string_view lowercase) {
  if (a.size() != lowercase.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] + ('a' - 'A')) : a[i];
    if (c != lowercase[i]) return false;
  }
  return true;
}

// LMDB stores keys of 1 to 511 bytes: the error reply for a key outside them, if it is.
inline std::optional<std::string> key_error(std::string_view key) {
  if (key.empty()) return std::string(errors::kKeyEmpty);
  if (key.size() > 511) return std::string(errors::kKeyTooLong);
  return std::nullopt;
}

// The key_error() of the first of keys[0], keys[step], ... that is not a valid key.
inline std::optional<std::string> check_keys(Args keys, std::size_t step = 1) {
  for (std::size_t i = 0; i < keys.size(); i += step) {
    if (auto error = key_error(keys[i])) return error;
  }
  return std::nullopt;
}

// The validate step of commands whose only check is their one key, argument 1.
inline std::optional<std::string> validate_first_key(Args a) { return check_keys(a.subspan(1, 1)); }

}  // namespace keepdb::commands
