// Error replies shared by several commands, worded exactly as Redis 7 words them.
#pragma once

#include <string>
#include <string_view>

namespace keepdb::commands::errors {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kDbOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kSameObject = "ERR source and destination objects are the same";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kKeyTooLong =
    "ERR key is too long (KeepDB keys are at most 510 bytes)";

// An authorization denial: `principal` lacks a role that `command` ("get", "client|kill")
// needs.
inline std::string no_permission(std::string_view principal, std::string_view command) {
  return "NOPERM User " + std::string(principal) + " has no permissions to run the '" +
         std::string(command) + "' command";
}

inline std::string wrong_arity(std::string_view command_name) {
  return "ERR wrong number of arguments for '" + std::string(command_name) + "' command";
}

}  // namespace keepdb::commands::errors
