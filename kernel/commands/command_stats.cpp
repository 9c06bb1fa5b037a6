// Per-command counters and latency (see command_stats.h).
#include "kernel/commands/command_stats.h"

#include "kernel/commands/command.h"
#include "kernel/commands/command_table.h"

namespace keepdb::commands {

CommandStats::CommandStats() : entries_(command_table().all().size()) {
  const auto all = command_table().all();
  index_.reserve(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    entries_[i].spec = all[i];
    index_.emplace(all[i], i);
  }
}

void CommandStats::record(const CommandSpec& spec, std::chrono::nanoseconds elapsed, bool failed) {
  const auto found = index_.find(&spec);
  if (found == index_.end()) return;
  Entry& entry = entries_[found->second];
  ++entry.calls;
  if (failed) ++entry.failed;
  entry.latency.observe(elapsed);
}

}  // namespace keepdb::commands
