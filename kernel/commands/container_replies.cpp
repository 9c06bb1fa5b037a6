// The replies every container command (CLIENT, COMMAND, CONFIG, MEMORY, OBJECT) shares with
// Redis: the HELP listing and the error for a subcommand it does not know.
#include "kernel/commands/command_families.h"

namespace keepdb::commands {

void reply_help(ExecContext& c, std::span<const std::string_view> lines) {
  c.out.array(lines.size());
  for (std::string_view line : lines) c.out.simple(line);
}

std::string unknown_subcommand(std::string_view container, std::string_view sub) {
  return "ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try " +
         std::string(container) + " HELP.";
}

}  // namespace keepdb::commands
