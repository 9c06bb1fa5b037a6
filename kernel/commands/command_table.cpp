// Builds the command table from the command families.
#include "kernel/commands/command_table.h"

#include <array>

#include "kernel/commands/command_families.h"

namespace keepdb::commands {

CommandTable::CommandTable() {
  for (auto family : {string_commands(), keyspace_commands(), expiry_commands(), connection_commands(),
                      server_commands(), cluster_commands()}) {
    for (const CommandSpec& spec : family) {
      by_name_.emplace(spec.name, &spec);
      ordered_.push_back(&spec);
    }
  }
}

const CommandSpec* CommandTable::find(std::string_view name) const {
  std::array<char, 32> lower{};
  if (name.empty() || name.size() > lower.size()) return nullptr;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  const auto found = by_name_.find(std::string_view(lower.data(), name.size()));
  return found == by_name_.end() ? nullptr : found->second;
}

const CommandTable& command_table() {
  static const CommandTable table;
  return table;
}

}  // namespace keepdb::commands
