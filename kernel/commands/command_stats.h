// CommandStats: per command of the command table (per subcommand of a container command, as
// Redis 7 counts "client|list"), how often it ran, how often it replied an error, and its
// latency (an immediate command: its execution; a proposed one: from the proposal to its
// reply). Read by INFO commandstats and /metrics.
//
// Thread-safety: record() on the network thread only (calls and failures are plain
// counters); the latency histograms may be read from any thread. Lifetime: entries live as
// long as this object; the command table is static.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/latency_histogram.h"

namespace keepdb::commands {

struct CommandSpec;  // kernel/commands/command.h
struct Subcommand;

class CommandStats {
 public:
  struct Entry {
    std::string name;  // "get", "client|list"
    std::uint64_t calls = 0;
    std::uint64_t failed = 0;  // replied an error
    util::LatencyHistogram latency;
  };

  CommandStats();
  CommandStats(const CommandStats&) = delete;
  CommandStats& operator=(const CommandStats&) = delete;

  // A run of `spec`, or of its `subcommand` when not null.
  void record(const CommandSpec& spec, const Subcommand* subcommand,
              std::chrono::nanoseconds elapsed, bool failed);
  // Every command of the table, in table order, each container's subcommands after it (those
  // never called too).
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<const void*, std::size_t> index_;  // by CommandSpec* or Subcommand*
};

}  // namespace keepdb::commands
