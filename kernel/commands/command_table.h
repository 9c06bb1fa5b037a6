// The command table: every command KeepDB knows, looked up case-insensitively by name.
//
// Thread-safety: immutable after construction; command_table() is safe from any thread.
#pragma once

#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kernel/commands/command.h"

namespace keepdb::commands {

class CommandTable {
 public:
  CommandTable();
  // nullptr for unknown commands. `name` may be any case.
  const CommandSpec* find(std::string_view name) const;
  std::span<const CommandSpec* const> all() const { return ordered_; }

 private:
  std::unordered_map<std::string_view, const CommandSpec*> by_name_;
  std::vector<const CommandSpec*> ordered_;
};

const CommandTable& command_table();

}  // namespace keepdb::commands
