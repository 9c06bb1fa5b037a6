// The command families the command table is built from, one source file each, the shapes
// every command is declared with, and the small helpers the families share.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kernel/commands/command.h"
#include "kernel/commands/errors.h"
#include "kernel/commands/number.h"

namespace keepdb::commands {

std::span<const CommandSpec> string_commands();      // string_commands.cpp
std::span<const CommandSpec> bitmap_commands();      // bitmap_commands.cpp
std::span<const CommandSpec> keyspace_commands();    // keyspace_commands.cpp
std::span<const CommandSpec> expiry_commands();      // expiry_commands.cpp
std::span<const CommandSpec> connection_commands();  // connection_commands.cpp
std::span<const CommandSpec> client_commands();      // client_commands.cpp
std::span<const CommandSpec> server_commands();      // server_commands.cpp
std::span<const CommandSpec> info_commands();        // info_command.cpp
std::span<const CommandSpec> config_commands();      // config_commands.cpp
std::span<const CommandSpec> memory_commands();      // memory_command.cpp
std::span<const CommandSpec> cluster_commands();     // cluster_commands.cpp
std::span<const CommandSpec> transaction_commands();  // transaction_commands.cpp
std::span<const CommandSpec> reload_commands();      // reload_commands.cpp

// The shapes every CommandSpec is declared with, one per kind of command, their arguments
// always in one order: group, name, arity, access, keys (command.h's key-spec constants),
// since, summary, then how it runs. A flag that few commands need is added by a modifier.

// An immediate command that takes no keys: connection, server, cluster and transaction
// commands.
constexpr CommandSpec keyless_command(std::string_view group, std::string_view name, int arity,
                                      Access access, std::string_view since,
                                      std::string_view summary, void (*execute)(ExecContext&)) {
  return {.name = name,
          .arity = arity,
          .access = access,
          .keys = kNoKeys,
          .group = group,
          .since = since,
          .summary = summary,
          .execute = execute};
}

// An immediate command whose reply is computed from the keyspace (`keys` may be kNoKeys:
// SCAN, DBSIZE): it needs the read role and is a linearizable read on a cluster.
constexpr CommandSpec keyspace_read(std::string_view group, std::string_view name, int arity,
                                    KeySpec keys, std::string_view since, std::string_view summary,
                                    void (*execute)(ExecContext&)) {
  return {.name = name,
          .arity = arity,
          .access = Access::kRead,
          .reads_keyspace = true,
          .keys = keys,
          .group = group,
          .since = since,
          .summary = summary,
          .execute = execute};
}

// A command proposed to the write path: `validate` (may be null) refuses a request before it
// is proposed, `apply` runs in the state machine.
constexpr CommandSpec keyspace_write(std::string_view group, std::string_view name, int arity,
                                     Access access, KeySpec keys, std::string_view since,
                                     std::string_view summary,
                                     std::optional<std::string> (*validate)(Args),
                                     Reply (*apply)(ApplyContext&, Args)) {
  return {.name = name,
          .arity = arity,
          .access = access,
          .keys = keys,
          .group = group,
          .since = since,
          .summary = summary,
          .validate = validate,
          .apply = apply};
}

// A command that may run before authentication (AUTH HELLO QUIT, as in Redis).
constexpr CommandSpec allowed_before_auth(CommandSpec spec) {
  spec.before_auth = true;
  return spec;
}

// A container command (CLIENT, COMMAND, CONFIG, MEMORY, OBJECT) and its subcommands; `spec`
// has an execute only when the container runs alone too (COMMAND).
constexpr CommandSpec with_subcommands(CommandSpec spec, std::span<const Subcommand> subcommands) {
  spec.subcommands = subcommands;
  return spec;
}

// A command with an option that asks for more roles (SET ... GET).
constexpr CommandSpec with_access_option(CommandSpec spec, AccessOption option) {
  spec.access_option = option;
  return spec;
}

inline bool equals_ignore_case(std::string_view a, std::string_view lowercase) {
  if (a.size() != lowercase.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] + ('a' - 'A')) : a[i];
    if (c != lowercase[i]) return false;
  }
  return true;
}

// The store holds keys of 0 to storage::kMaxKeyBytes bytes (the empty key too, as Redis):
// the error reply for a longer key, if it is.
inline std::optional<std::string> key_error(std::string_view key) {
  if (key.size() > storage::kMaxKeyBytes) return std::string(errors::kKeyTooLong);
  return std::nullopt;
}

// The key_error() of the first of keys[0], keys[step], ... that is not a valid key.
inline std::optional<std::string> check_keys(Args keys, std::size_t step = 1) {
  for (std::size_t i = 0; i < keys.size(); i += step) {
    if (auto error = key_error(keys[i])) return error;
  }
  return std::nullopt;
}

// A database index argument read as Redis reads one (an int): nullopt, with `error` set, for
// a non-integer or a value outside int; `invalid` (SWAPDB's "ERR invalid first DB index")
// replaces both errors when not empty.
inline std::optional<std::int64_t> parse_db_argument(std::string_view text,
                                                     std::string_view invalid,
                                                     std::string_view& error) {
  const auto index = parse_int64(text);
  if (!index) {
    error = invalid.empty() ? errors::kNotInteger : invalid;
    return std::nullopt;
  }
  if (*index < INT32_MIN || *index > INT32_MAX) {
    error = invalid.empty() ? std::string_view("ERR value is out of range, value must between "
                                               "-2147483648 and 2147483647")
                            : invalid;
    return std::nullopt;
  }
  return index;
}

// The database SELECT `text` names, below `databases` (storage.databases); nullopt, with
// `error` set to Redis's reply, when it names none.
inline std::optional<storage::Db> select_index(std::string_view text, unsigned databases,
                                               std::string_view& error) {
  const auto index = parse_db_argument(text, {}, error);
  if (!index) return std::nullopt;
  if (*index < 0 || *index >= static_cast<std::int64_t>(databases)) {
    error = errors::kDbOutOfRange;
    return std::nullopt;
  }
  return static_cast<storage::Db>(*index);
}

// The validate step of commands whose only check is their one key, argument 1.
inline std::optional<std::string> validate_first_key(Args a) { return check_keys(a.subspan(1, 1)); }

// A container command's HELP reply: its lines as simple strings (container_replies.cpp).
void reply_help(ExecContext& c, std::span<const std::string_view> lines);

// A client name CLIENT SETNAME and HELLO SETNAME accept: printable, no spaces (Redis's rule).
bool valid_client_name(std::string_view name);  // client_commands.cpp

}  // namespace keepdb::commands
