// The command table: every command KeepDB knows, looked up case-insensitively by name.
//
// Thread-safety: immutable after construction; command_table() is safe from any thread.
#pragma once

#include <optional>
#include <span>
#include <string>
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

// Checks the request `args` for `spec` as Redis checks one before it runs or is queued in a
// transaction: the command's arity and, for a container command given a subcommand, that
// the subcommand exists and gets its arity. Returns the error to reply; otherwise nullopt,
// with `subcommand` set to the request's subcommand (null when it has none).
std::optional<std::string> shape_error(const CommandSpec& spec, Args args,
                                       const Subcommand*& subcommand);

// Runs an immediate request whose shape_error() was nullopt: its subcommand's execute, or
// the command's.
inline void run_immediate(const CommandSpec& spec, const Subcommand* subcommand,
                          ExecContext& context) {
  (subcommand != nullptr ? subcommand->execute : spec.execute)(context);
}

// The request's name as Redis reports it (CLIENT LIST's cmd=): "get", "client|list".
void name_request(const CommandSpec& spec, const Subcommand* subcommand, std::string& name);

}  // namespace keepdb::commands
