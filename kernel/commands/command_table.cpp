// Builds the command table from the command families; the roles a request needs; the arity
// check.
#include "kernel/commands/command_table.h"

#include <array>

#include "kernel/commands/command_families.h"
#include "kernel/commands/errors.h"

namespace keepdb::commands {

CommandTable::CommandTable() {
  for (auto family :
       {string_commands(), bitmap_commands(), keyspace_commands(), expiry_commands(),
        connection_commands(), client_commands(), server_commands(), info_commands(),
        config_commands(), memory_commands(), cluster_commands(), transaction_commands(),
        reload_commands()}) {
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

std::vector<std::string_view> role_names(Access access) {
  std::vector<std::string_view> names;
  if (roles_of(access) & kRoleRead) names.push_back("read");
  if (roles_of(access) & kRoleWrite) names.push_back("write");
  if (roles_of(access) & kRoleAdmin) names.push_back("admin");
  return names;
}

Access CommandSpec::access_for(Args args) const {
  if (access_option.name.empty()) return access;
  for (std::size_t i = access_option.from; i < args.size(); ++i) {
    if (equals_ignore_case(args[i], access_option.name)) return access_option.access;
  }
  return access;
}

std::optional<std::string> shape_error(const CommandSpec& spec, Args args,
                                       const Subcommand*& subcommand) {
  subcommand = nullptr;
  if (auto error = arity_error(spec.name, spec.arity, args.size())) return error;
  if (spec.subcommands.empty() || args.size() < 2) return std::nullopt;
  for (const Subcommand& candidate : spec.subcommands) {
    if (!equals_ignore_case(args[1], candidate.name)) continue;
    std::string name;
    name_request(spec, &candidate, name);
    if (auto error = arity_error(name, candidate.arity, args.size())) return error;
    subcommand = &candidate;
    return std::nullopt;
  }
  std::string container(spec.name);
  for (char& c : container) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c);
  return "ERR unknown subcommand '" + std::string(args[1].substr(0, 128)) + "'. Try " +
         container + " HELP.";
}

void name_request(const CommandSpec& spec, const Subcommand* subcommand, std::string& name) {
  name.assign(spec.name);
  if (subcommand != nullptr) name.append("|").append(subcommand->name);
}

std::optional<std::string> arity_error(std::string_view name, int arity, std::size_t argc,
                                       std::size_t at_most) {
  const auto needed = static_cast<std::size_t>(arity < 0 ? -arity : arity);
  if ((arity >= 0 ? argc == needed : argc >= needed) && argc <= at_most) return std::nullopt;
  return errors::wrong_arity(name);
}

const CommandTable& command_table() {
  static const CommandTable table;
  return table;
}

}  // namespace keepdb::commands
