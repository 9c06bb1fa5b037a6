// The reply every container command (CLIENT, COMMAND, CONFIG, MEMORY, OBJECT) shares with
// Redis: the HELP listing. (The error for a subcommand it does not know is admission's,
// command_table.h.)
#include "kernel/commands/command_families.h"

namespace keepdb::commands {

void reply_help(ExecContext& c, std::span<const std::string_view> lines) {
  c.out.array(lines.size());
  for (std::string_view line : lines) c.out.simple(line);
}

}  // namespace keepdb::commands
