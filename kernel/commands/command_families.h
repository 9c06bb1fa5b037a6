// The command families the command table is built from, one source file each, plus the
// small helpers they share.
#pragma once

#include <span>
#include <string_view>

#include "kernel/commands/command.h"

namespace keepdb::commands {

std::span<const CommandSpec> string_commands();      // string_commands.cpp
std::span<const CommandSpec> keyspace_commands();    // keyspace_commands.cpp
std::span<const CommandSpec> connection_commands();  // connection_commands.cpp
std::span<const CommandSpec> server_commands();      // server_commands.cpp
std::span<const CommandSpec> cluster_commands();     // cluster_commands.cpp

inline bool equals_ignore_case(std::string_view a, std::string_view lowercase) {
  if (a.size() != lowercase.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] + ('a' - 'A')) : a[i];
    if (c != lowercase[i]) return false;
  }
  return true;
}

}  // namespace keepdb::commands
