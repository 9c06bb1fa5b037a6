// The MEMORY command: USAGE answers the bytes a key takes in the store's pages (the
// storage's own count, see storage::KvStore::stored_bytes), HELP lists it. The allocator
// subcommands of Redis (DOCTOR, MALLOC-STATS, PURGE, STATS) do not apply: the state lives
// in LMDB's memory map, not in the heap.
#include <string>

#include "kernel/commands/command_families.h"
#include "kernel/commands/node_context.h"
#include "kernel/commands/number.h"

namespace keepdb::commands {
namespace {

constexpr std::string_view kMemoryHelp[] = {
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
};

// MEMORY USAGE key [SAMPLES count]: the count is accepted and unused (every value is a
// string: nothing nested to sample); a missing key is a null reply, as in Redis.
void memory_usage(ExecContext& c) {
  if (c.args.size() > 3) {
    if (c.args.size() != 5 || !equals_ignore_case(c.args[3], "samples")) {
      return c.out.error("ERR syntax error");
    }
    const auto samples = parse_int64(c.args[4]);
    if (!samples) return c.out.error("ERR value is not an integer or out of range");
  }
  const auto value = c.lookup(c.args[2]);
  if (!value) return c.out.null();
  c.out.integer(static_cast<std::int64_t>(storage::KvStore::stored_bytes(c.args[2], *value)));
}

void memory_help(ExecContext& c) { reply_help(c, kMemoryHelp); }

constexpr Subcommand kMemorySubcommands[] = {
    {"usage", -3, memory_usage},
    {"help", 2, memory_help},
};

constexpr CommandSpec kMemoryCommands[] = {
    with_subcommands(keyspace_read("server", "memory", -2, kSubcommandKey, "4.0.0",
                                   "A container for memory diagnostics commands.", nullptr),
                     kMemorySubcommands),
};

}  // namespace

std::span<const CommandSpec> memory_commands() { return kMemoryCommands; }

}  // namespace keepdb::commands
