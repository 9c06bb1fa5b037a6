// The keyspace command family: DEL EXISTS DBSIZE SCAN FLUSHDB. Expired keys are absent to
// all of them but DBSIZE, which counts stored keys as Redis does.
#include "kernel/commands/command_families.h"
#include "kernel/commands/errors.h"
#include "kernel/commands/glob_match.h"
#include "kernel/commands/number.h"
#include "kernel/commands/scan_cursors.h"

namespace keepdb::commands {
namespace {

void exec_exists(ExecContext& c) {
  std::int64_t found = 0;
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    if (c.node.lookup(c.args[i])) ++found;
  }
  c.out.integer(found);
}

void exec_dbsize(ExecContext& c) {
  c.out.integer(static_cast<std::int64_t>(c.node.kv().size(c.node.read_txn())));
}

struct ScanOptions {
  std::string_view match;
  bool has_match = false;
  std::uint64_t count = 10;
  bool only_strings = true;  // TYPE filter; every KeepDB value is a string
};

std::optional<std::string> parse_scan_options(Args options, ScanOptions& parsed) {
  for (std::size_t i = 0; i < options.size(); i += 2) {
    if (i + 1 >= options.size()) return std::string(errors::kSyntax);
    const std::string_view value = options[i + 1];
    if (equals_ignore_case(options[i], "match")) {
      parsed.match = value;
      parsed.has_match = !(value.size() == 1 && value[0] == '*');
    } else if (equals_ignore_case(options[i], "count")) {
      const auto count = parse_int64(value);
      if (!count) return std::string(errors::kNotInteger);
      if (*count < 1) return std::string(errors::kSyntax);
      parsed.count = static_cast<std::uint64_t>(*count);
    } else if (equals_ignore_case(options[i], "type")) {
      parsed.only_strings = equals_ignore_case(value, "string");
    } else {
      return std::string(errors::kSyntax);
    }
  }
  if (parsed.match.size() > kMaxScanPatternBytes) {
    return "ERR MATCH pattern longer than " + std::to_string(kMaxScanPatternBytes) + " bytes";
  }
  return std::nullopt;
}

// SCAN visits at most `count` keys per call (like Redis, MATCH filters after visiting),
// resuming from the key recorded for the cursor. It also stops, after the key at hand,
// once the call has spent kScanStepBudget steps (kScanStepsPerKey per key visited plus the
// matcher's steps), and replies the cursor of the next key: COUNT is a hint, as in Redis,
// and no key is skipped. Each key costs at most one pattern's worth of steps, so every
// call makes progress and none runs much longer than the budget.
void exec_scan(ExecContext& c) {
  const auto cursor = parse_uint64(c.args[1]);
  if (!cursor) {
    c.out.error(errors::kInvalidCursor);
    return;
  }
  ScanOptions options;
  if (auto error = parse_scan_options(c.args.subspan(2), options)) {
    c.out.error(*error);
    return;
  }
  std::string from;
  if (*cursor != 0) {
    auto resume = c.node.scan_cursors().resume_key(*cursor);
    if (!resume) {
      c.out.error(errors::kInvalidCursor);
      return;
    }
    from = std::move(*resume);
  }
  const GlobPattern pattern(options.has_match ? options.match : std::string_view());
  std::vector<std::string> keys;
  std::uint64_t visited = 0;
  std::uint64_t steps = 0;
  const auto next = c.node.kv().scan(
      c.node.read_txn(), from, [&](std::string_view key, const storage::ValueView& value) {
        steps += kScanStepsPerKey;
        if (options.only_strings && !value.expired(c.node.now_ms()) &&
            (!options.has_match || pattern.matches(key, steps))) {
          keys.emplace_back(key);
        }
        return ++visited < options.count && steps < kScanStepBudget;
      });
  const std::uint64_t next_cursor = next ? c.node.scan_cursors().remember(*next) : 0;
  c.out.array(2);
  c.out.bulk(std::to_string(next_cursor));
  c.out.array(keys.size());
  for (const auto& key : keys) c.out.bulk(key);
}

Reply apply_del(ApplyContext& c, Args a) {
  std::int64_t removed = 0;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (c.live(a[i]) && c.kv.erase(c.txn, a[i])) ++removed;
  }
  return Reply::number(removed);
}

std::optional<std::string> validate_flushdb(Args a) {
  if (a.size() > 2 ||
      (a.size() == 2 && !equals_ignore_case(a[1], "async") && !equals_ignore_case(a[1], "sync"))) {
    return std::string(errors::kSyntax);
  }
  return std::nullopt;
}

Reply apply_flushdb(ApplyContext& c, Args) {
  c.kv.clear(c.txn);
  return Reply::ok();
}

constexpr CommandSpec kKeyspaceCommands[] = {
    keyspace_read("generic", "exists", -2, kEveryArgumentKey, "1.0.0",
                  "Determines whether one or more keys exist.", exec_exists),
    keyspace_read("server", "dbsize", 1, kNoKeys, "1.0.0",
                  "Returns the number of keys in the database.", exec_dbsize),
    keyspace_read("generic", "scan", -2, kNoKeys, "2.8.0",
                  "Iterates over the key names in the database.", exec_scan),
    keyspace_write("generic", "del", -2, Access::kWrite, kEveryArgumentKey, "1.0.0",
                   "Deletes one or more keys.", nullptr, apply_del),
    keyspace_write("server", "flushdb", -1, Access::kWriteAdmin, kNoKeys, "1.0.0",
                   "Removes all keys from the current database.", validate_flushdb, apply_flushdb),
};

}  // namespace

std::span<const CommandSpec> keyspace_commands() { return kKeyspaceCommands; }

}  // namespace keepdb::commands
