// The keyspace command family: DEL UNLINK EXISTS TOUCH TYPE DBSIZE SCAN KEYS RANDOMKEY RENAME
// RENAMENX COPY MOVE OBJECT FLUSHDB FLUSHALL SWAPDB. Each works in the connection's database
// (SELECT); MOVE, COPY DB and SWAPDB name others. Expired keys are absent to all of them but
// DBSIZE, which counts stored keys as Redis does. Every KeepDB value is a string.
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <random>

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
    if (c.lookup(c.args[i])) ++found;
  }
  c.out.integer(found);
}

void exec_type(ExecContext& c) {
  c.out.simple(c.lookup(c.args[1]) ? "string" : "none");
}

void exec_dbsize(ExecContext& c) {
  c.out.integer(static_cast<std::int64_t>(c.node.kv().size(c.node.read_txn(), c.session.db)));
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

// A cursor as Redis reads it (strtoul): an optional sign then decimal digits, a negative
// number wrapping modulo 2^64, the empty string being 0; a leading space, another byte or
// a value past 2^64 - 1 is not a cursor.
std::optional<std::uint64_t> parse_scan_cursor(std::string_view text) {
  if (text.empty()) return 0;
  if (text.find('\0') != std::string_view::npos ||
      std::isspace(static_cast<unsigned char>(text[0]))) {
    return std::nullopt;
  }
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(copy.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0') return std::nullopt;
  return static_cast<std::uint64_t>(value);
}

// SCAN visits at most `count` keys per call (like Redis, MATCH filters after visiting),
// resuming from the key recorded for the cursor. It also stops, after the key at hand,
// once the call has spent kScanStepBudget steps (kScanStepsPerKey per key visited plus the
// matcher's steps), and replies the cursor of the next key: COUNT is a hint, as in Redis,
// and no key is skipped. Each key costs at most one pattern's worth of steps, so every
// call makes progress and none runs much longer than the budget.
void exec_scan(ExecContext& c) {
  const auto cursor = parse_scan_cursor(c.args[1]);
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
      // A cursor this node gave out and has forgotten cannot resume: an error, so no key is
      // silently skipped. Any other number ends the iteration, as Redis ends a scan whose
      // cursor lies past its table (SCAN -1 replies cursor 0).
      if (c.node.scan_cursors().issued(*cursor)) {
        c.out.error(errors::kInvalidCursor);
      } else {
        c.out.array(2);
        c.out.bulk("0");
        c.out.array(0);
      }
      return;
    }
    from = std::move(*resume);
  }
  const GlobPattern pattern(options.has_match ? options.match : std::string_view());
  std::vector<std::string> keys;
  std::uint64_t visited = 0;
  std::uint64_t steps = 0;
  const auto next = c.node.kv().scan(
      c.node.read_txn(), c.session.db, from, [&](std::string_view key, const storage::ValueView& value) {
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

// KEYS visits every stored key, so it refuses a keyspace larger than the configured cap
// (limits.max_keys_visited) rather than stall the network thread.
void exec_keys(ExecContext& c) {
  const std::string_view match = c.args[1];
  if (match.size() > kMaxScanPatternBytes) {
    c.out.error("ERR pattern longer than " + std::to_string(kMaxScanPatternBytes) + " bytes");
    return;
  }
  const std::uint64_t cap = c.node.config().limits.max_keys_visited;
  if (c.node.kv().size(c.node.read_txn(), c.session.db) > cap) {
    c.out.error("ERR KEYS refused: the database holds more than " + std::to_string(cap) +
                " keys (limits.max_keys_visited); use SCAN");
    return;
  }
  const bool all = match == "*";
  const GlobPattern pattern(all ? std::string_view() : match);
  std::vector<std::string> keys;
  c.node.kv().scan(c.node.read_txn(), c.session.db, "",
                   [&](std::string_view key, const storage::ValueView& value) {
                     if (!value.expired(c.node.now_ms()) && (all || pattern.matches(key))) {
                       keys.emplace_back(key);
                     }
                     return true;
                   });
  c.out.array(keys.size());
  for (const auto& key : keys) c.out.bulk(key);
}

// RANDOMKEY starts at a random point of the key order and replies the first live key from
// there, wrapping around once; it gives up (nil) after kRandomKeyVisits expired records.
void exec_randomkey(ExecContext& c) {
  constexpr std::uint64_t kRandomKeyVisits = 1024;
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::string start(8, '\0');
  for (char& byte : start) byte = static_cast<char>(random() & 0xff);
  std::optional<std::string> found;
  std::uint64_t visited = 0;
  const auto visit = [&](std::string_view key, const storage::ValueView& value) {
    if (!value.expired(c.node.now_ms())) found.emplace(key);
    return !found && ++visited < kRandomKeyVisits;
  };
  const auto next = c.node.kv().scan(c.node.read_txn(), c.session.db, start, visit);
  if (!found && !next && visited < kRandomKeyVisits) {
    c.node.kv().scan(c.node.read_txn(), c.session.db, "", visit);
  }
  if (found) {
    c.out.bulk(*found);
  } else {
    c.out.null();
  }
}

// ---- OBJECT ----

// How Redis 7 would encode a string value: "int" for a number it parses as a 64-bit integer
// (at most 20 bytes), "embstr" up to 44 bytes, else "raw".
bool int_encoded(std::string_view payload) {
  return parse_int64(payload).has_value();
}

std::string_view string_encoding(std::string_view payload) {
  if (int_encoded(payload)) return "int";
  return payload.size() <= 44 ? "embstr" : "raw";
}

// Redis shares the objects of the integers 0 to 9999, with a refcount of INT_MAX.
std::int64_t string_refcount(std::string_view payload) {
  const auto number = parse_int64(payload);
  return number && *number >= 0 && *number < 10000 ? 2147483647 : 1;
}

constexpr std::string_view kObjectHelp[] = {
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
};

void object_help(ExecContext& c) { reply_help(c, kObjectHelp); }

// OBJECT ENCODING, REFCOUNT, IDLETIME and FREQ: a null reply for a missing key, else the
// answer about its value. ENCODING and REFCOUNT answer as Redis would for the stored string;
// IDLETIME is 0 (KeepDB does not track accesses); FREQ is Redis's error without an LFU policy.
template <void (*Answer)(ExecContext&, std::string_view payload)>
void object_of_key(ExecContext& c) {
  if (const auto value = c.lookup(c.args[2])) {
    Answer(c, value->payload);
  } else {
    c.out.null();
  }
}

void object_encoding(ExecContext& c, std::string_view payload) {
  c.out.bulk(string_encoding(payload));
}

void object_refcount(ExecContext& c, std::string_view payload) {
  c.out.integer(string_refcount(payload));
}

void object_idletime(ExecContext& c, std::string_view) { c.out.integer(0); }

void object_freq(ExecContext& c, std::string_view) {
  c.out.error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
      "note that when switching between policies at runtime LRU and LFU data will take some "
      "time to adjust.");
}

constexpr Subcommand kObjectSubcommands[] = {
    {"encoding", 3, object_of_key<object_encoding>},
    {"freq", 3, object_of_key<object_freq>},
    {"idletime", 3, object_of_key<object_idletime>},
    {"refcount", 3, object_of_key<object_refcount>},
    {"help", 2, object_help},
};

Reply apply_del(ApplyContext& c, Args a) {
  std::int64_t removed = 0;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (c.live(a[i]) && c.erase(a[i])) ++removed;
  }
  return Reply::number(removed);
}

// RENAME and RENAMENX: the value moves with its TTL; the destination's own TTL goes with the
// value it had. Renaming a key to itself changes nothing.
Reply rename_key(ApplyContext& c, Args a, bool only_if_absent) {
  const auto source = c.live(a[1]);
  if (!source) return Reply::error("ERR no such key");
  if (a[1] == a[2]) return only_if_absent ? Reply::number(0) : Reply::ok();
  if (only_if_absent && c.live(a[2])) return Reply::number(0);
  const std::string payload(source->payload);
  const std::uint64_t deadline = source->expires_at_ms;
  c.erase(a[1]);
  c.put(a[2], payload, deadline);
  return only_if_absent ? Reply::number(1) : Reply::ok();
}

Reply apply_rename(ApplyContext& c, Args a) {
  return rename_key(c, a, false);
}
Reply apply_renamenx(ApplyContext& c, Args a) {
  return rename_key(c, a, true);
}

std::optional<std::string> validate_rename(Args a) {
  return check_keys(a.subspan(1, 2));
}

// A database index as MOVE, COPY DB and SWAPDB read it (parse_db_argument): the error to
// reply, Redis's range error for an index no node can offer included, or nullopt. Whether
// this node offers it (storage.databases) is checked when the op applies.
std::optional<std::string> db_index_error(std::string_view text, std::string_view invalid = {}) {
  std::string_view error;
  const auto index = parse_db_argument(text, invalid, error);
  if (!index) return std::string(error);
  if (*index < 0 || *index >= static_cast<std::int64_t>(storage::kMaxDatabases)) {
    return std::string(errors::kDbOutOfRange);
  }
  return std::nullopt;
}

// The database `text` names; db_index_error() has accepted it.
storage::Db db_index(std::string_view text) {
  return static_cast<storage::Db>(*parse_int64(text));
}

// COPY's options as Redis reads them, in order: REPLACE, and DB whose number must be an int
// naming one of the node's `databases`; the first error ends the parse.
struct CopyOptions {
  std::optional<std::string> error;
  bool replace = false;
  std::optional<storage::Db> target;  // DB n
};

CopyOptions parse_copy_options(Args a, unsigned databases) {
  CopyOptions options;
  for (std::size_t i = 3; i < a.size() && !options.error; ++i) {
    if (equals_ignore_case(a[i], "replace")) {
      options.replace = true;
    } else if (equals_ignore_case(a[i], "db") && i + 1 < a.size()) {
      std::string_view error;
      if (const auto db = select_index(a[++i], databases, error)) {
        options.target = *db;
      } else {
        options.error.emplace(error);
      }
    } else {
      options.error.emplace(errors::kSyntax);
    }
  }
  return options;
}

// Only the keys are checked before proposing: whether a DB number names a database depends
// on storage.databases, which the apply knows, and an option error must come first.
std::optional<std::string> validate_copy(Args a) {
  return check_keys(a.subspan(1, 2));
}

// COPY: the value and its TTL; 0 when the source is absent or the destination exists
// without REPLACE.
Reply apply_copy(ApplyContext& c, Args a) {
  const CopyOptions options = parse_copy_options(a, c.databases);
  if (options.error) return Reply::error(*options.error);
  const storage::Db target = options.target.value_or(c.db);
  if (target == c.db && a[1] == a[2]) return Reply::error(std::string(errors::kSameObject));
  const auto source = c.live(a[1]);
  if (!source) return Reply::number(0);
  const std::string payload(source->payload);
  const std::uint64_t deadline = source->expires_at_ms;
  if (!options.replace && c.live_in(target, a[2])) return Reply::number(0);
  c.kv.put(c.txn, target, a[2], payload, deadline);
  return Reply::number(1);
}

std::optional<std::string> validate_move(Args a) {
  if (auto error = db_index_error(a[2])) return error;
  return validate_first_key(a);
}

// MOVE: the key with its TTL to database a[2]; 0 when it is absent here or present there.
Reply apply_move(ApplyContext& c, Args a) {
  const storage::Db target = db_index(a[2]);
  if (target >= c.databases) return Reply::error(std::string(errors::kDbOutOfRange));
  if (target == c.db) return Reply::error(std::string(errors::kSameObject));
  const auto source = c.live(a[1]);
  if (!source) return Reply::number(0);
  if (c.live_in(target, a[1])) return Reply::number(0);
  const std::string payload(source->payload);
  const std::uint64_t deadline = source->expires_at_ms;
  c.erase(a[1]);
  c.kv.put(c.txn, target, a[1], payload, deadline);
  return Reply::number(1);
}

std::optional<std::string> validate_swapdb(Args a) {
  if (auto error = db_index_error(a[1], "ERR invalid first DB index")) return error;
  return db_index_error(a[2], "ERR invalid second DB index");
}

Reply apply_swapdb(ApplyContext& c, Args a) {
  const storage::Db first = db_index(a[1]);
  const storage::Db second = db_index(a[2]);
  if (first >= c.databases || second >= c.databases) {
    return Reply::error(std::string(errors::kDbOutOfRange));
  }
  c.kv.swap(c.txn, first, second);
  return Reply::ok();
}

// FLUSHDB and FLUSHALL take ASYNC or SYNC (both empty the keyspace before replying).
std::optional<std::string> validate_flush(Args a) {
  if (a.size() > 2 ||
      (a.size() == 2 && !equals_ignore_case(a[1], "async") && !equals_ignore_case(a[1], "sync"))) {
    return std::string(errors::kSyntax);
  }
  return std::nullopt;
}

Reply apply_flushdb(ApplyContext& c, Args) {
  c.kv.clear(c.txn, c.db);
  return Reply::ok();
}

Reply apply_flushall(ApplyContext& c, Args) {
  c.kv.clear_all(c.txn);
  return Reply::ok();
}

constexpr CommandSpec kKeyspaceCommands[] = {
    keyspace_read("generic", "exists", -2, kEveryArgumentKey, "1.0.0",
                  "Determines whether one or more keys exist.", exec_exists),
    keyspace_read("generic", "touch", -2, kEveryArgumentKey, "3.2.1",
                  "Returns the number of existing keys out of those specified after updating the "
                  "time they were last accessed.",
                  exec_exists),
    keyspace_read("generic", "type", 2, kOneKey, "1.0.0",
                  "Determines the type of value stored at a key.", exec_type),
    with_subcommands(keyspace_read("generic", "object", -2, kSubcommandKey, "2.2.3",
                                   "A container for object introspection commands.", nullptr),
                     kObjectSubcommands),
    keyspace_read("generic", "keys", 2, kNoKeys, "1.0.0",
                  "Returns all key names that match a pattern.", exec_keys),
    keyspace_read("generic", "randomkey", 1, kNoKeys, "1.0.0",
                  "Returns a random key name from the database.", exec_randomkey),
    keyspace_read("server", "dbsize", 1, kNoKeys, "1.0.0",
                  "Returns the number of keys in the database.", exec_dbsize),
    keyspace_read("generic", "scan", -2, kNoKeys, "2.8.0",
                  "Iterates over the key names in the database.", exec_scan),
    keyspace_write("generic", "del", -2, Access::kWrite, kEveryArgumentKey, "1.0.0",
                   "Deletes one or more keys.", nullptr, apply_del),
    keyspace_write("generic", "unlink", -2, Access::kWrite, kEveryArgumentKey, "4.0.0",
                   "Asynchronously deletes one or more keys.", nullptr, apply_del),
    keyspace_write("generic", "rename", 3, Access::kWrite, kFirstTwoKeys, "1.0.0",
                   "Renames a key and overwrites the destination.", validate_rename, apply_rename),
    keyspace_write("generic", "renamenx", 3, Access::kWrite, kFirstTwoKeys, "1.0.0",
                   "Renames a key only when the target key name doesn't exist.", validate_rename,
                   apply_renamenx),
    keyspace_write("generic", "copy", -3, Access::kWrite, kFirstTwoKeys, "6.2.0",
                   "Copies the value of a key to a new key.", validate_copy, apply_copy),
    keyspace_write("generic", "move", 3, Access::kWrite, kOneKey, "1.0.0",
                   "Moves a key to another database.", validate_move, apply_move),
    keyspace_write("server", "flushdb", -1, Access::kWriteAdmin, kNoKeys, "1.0.0",
                   "Removes all keys from the current database.", validate_flush, apply_flushdb),
    keyspace_write("server", "flushall", -1, Access::kWriteAdmin, kNoKeys, "1.0.0",
                   "Removes all keys from all databases.", validate_flush, apply_flushall),
    keyspace_write("server", "swapdb", 3, Access::kWriteAdmin, kNoKeys, "4.0.0",
                   "Swaps two Redis databases.", validate_swapdb, apply_swapdb),
};

}  // namespace

std::span<const CommandSpec> keyspace_commands() {
  return kKeyspaceCommands;
}

}  // namespace keepdb::commands
