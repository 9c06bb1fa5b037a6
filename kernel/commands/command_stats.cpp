// Per-command counters and latency (see command_stats.h).
#include "kernel/commands/command_stats.h"

#include "kernel/commands/command.h"
#include "kernel/commands/command_table.h"

namespace keepdb::commands {

namespace {

// A container counts alone only when it runs alone (COMMAND).
bool counted_alone(const CommandSpec& spec) {
  return spec.subcommands.empty() || spec.execute != nullptr;
}

std::size_t entry_count() {
  std::size_t count = 0;
  for (const CommandSpec* spec : command_table().all()) {
    count += (counted_alone(*spec) ? 1 : 0) + spec->subcommands.size();
  }
  return count;
}

}  // namespace

// Entries hold histograms, which cannot move: the vector is made at its final size.
CommandStats::CommandStats() : entries_(entry_count()) {
  std::size_t next = 0;
  const auto add = [&](const void* key, const CommandSpec& spec, const Subcommand* subcommand) {
    index_.emplace(key, next);
    name_request(spec, subcommand, entries_[next++].name);
  };
  for (const CommandSpec* spec : command_table().all()) {
    if (counted_alone(*spec)) add(spec, *spec, nullptr);
    for (const Subcommand& subcommand : spec->subcommands) add(&subcommand, *spec, &subcommand);
  }
}

void CommandStats::record(const CommandSpec& spec, const Subcommand* subcommand,
                          std::chrono::nanoseconds elapsed, bool failed) {
  const auto found =
      index_.find(subcommand != nullptr ? static_cast<const void*>(subcommand) : &spec);
  if (found == index_.end()) return;
  Entry& entry = entries_[found->second];
  ++entry.calls;
  if (failed) ++entry.failed;
  entry.latency.observe(elapsed);
}

}  // namespace keepdb::commands
