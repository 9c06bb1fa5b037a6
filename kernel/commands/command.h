// One entry of the command table: name, arity, required role, and how it runs.
// Immediate commands (connection, server, reads) run on the network thread and write their
// reply directly. Write commands are validated on the network thread, proposed to the write
// path in a batch, and applied later, deterministically, by the state machine.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/node_context.h"
#include "kernel/commands/reply.h"
#include "kernel/commands/session.h"
#include "kernel/resp/reply_writer.h"

namespace keepdb::commands {

using Args = std::span<const std::string_view>;

// A command that cannot reply at once (AUTH asking a plugin) calls ExecContext::defer()
// exactly once, writes nothing, and later calls the returned Resume on the network thread
// with a function that writes its reply. The connection holds later requests until then.
using ReplyLater = std::function<void(resp::ReplyWriter& out, Session& session)>;
using Resume = std::function<void(ReplyLater)>;

struct ExecContext {
  Args args;
  resp::ReplyWriter& out;
  Session& session;
  NodeContext& node;
  std::function<Resume()> defer;

  // The record of `key` in the session's database, unless it is absent or expired.
  std::optional<storage::ValueView> lookup(std::string_view key) const {
    return node.lookup(session.db, key);
  }
};

struct ApplyContext {
  const storage::KvStore& kv;
  MDB_txn* txn;
  std::uint64_t max_value_bytes;  // APPEND may not grow a value past this
  std::uint64_t now_ms;           // the batch's time on the state machine clock
  // Where a transaction's immediate commands (its reads) run (transaction.h); null when the
  // state machine has none (they then reply an error).
  NodeContext* node = nullptr;
  storage::Db db = 0;                    // the database the op names (op_batch.h)
  unsigned databases = config::kDefaultDatabases;  // SELECT, MOVE, SWAPDB and COPY DB stay below it
  // The batch's KvStore::put_cursor() of `txn`, shared by its puts; null: each opens one.
  MDB_cursor* put_cursor = nullptr;

  // The record of `key` unless it is absent or expired at now_ms. An expired record is
  // erased on the way (every server erases it at the same point of the log).
  std::optional<storage::ValueView> live(std::string_view key) const { return live_in(db, key); }
  std::optional<storage::ValueView> live_in(storage::Db in, std::string_view key) const {
    auto value = kv.get(txn, in, key);
    if (value && value->expired(now_ms)) {
      kv.erase(txn, in, key);
      return std::nullopt;
    }
    return value;
  }
  void put(std::string_view key, std::string_view payload, std::uint64_t expires_at_ms = 0) const {
    kv.put(txn, db, key, payload, expires_at_ms, put_cursor);
  }
  bool erase(std::string_view key) const { return kv.erase(txn, db, key); }
};

// The roles a command needs, all of them (Role bits, session.h); kAnyone: any authenticated
// client. The rule: a command whose reply reveals stored data (a value, or a number computed
// from one) needs read; a command that changes data needs write; cluster membership and
// FLUSHDB need admin. Metadata a write replies as its natural result (whether a key existed,
// a length, whether a TTL changed) needs no read role. docs/authorization.md has the table
// and the reason for each command; a unit test keeps it equal to the command table.
enum class Access : std::uint8_t {
  kAnyone = 0,
  kRead = kRoleRead,
  kWrite = kRoleWrite,
  kReadWrite = kRoleRead | kRoleWrite,
  kAdmin = kRoleAdmin,
  kWriteAdmin = kRoleWrite | kRoleAdmin,
};

constexpr std::uint32_t roles_of(Access access) {
  return static_cast<std::uint32_t>(access);
}

// The names of the roles in `access`, in the order read, write, admin ("read", ...).
std::vector<std::string_view> role_names(Access access);

// An option that makes a command reveal more: when an argument at index `from` or later
// equals `name` (any case), the command needs `access` instead of its own. SET ... GET
// replies the old value. An argument that is an option's value can never be the keyword
// in a valid request (SET's expiry values are integers), so the test errs only towards
// asking for more roles, and only for requests that fail validation anyway.
struct AccessOption {
  std::string_view name;  // lowercase; empty: the command has no such option
  std::size_t from = 0;
  Access access = Access::kAnyone;
};

// Where a command's keys are among its arguments, as COMMAND INFO reports them: the first
// and last key's index (-1: the last argument) and the step between keys; all 0: no keys.
struct KeySpec {
  int first = 0, last = 0, step = 0;
};

inline constexpr KeySpec kNoKeys{};
inline constexpr KeySpec kOneKey{.first = 1, .last = 1, .step = 1};
inline constexpr KeySpec kEveryArgumentKey{.first = 1, .last = -1, .step = 1};
inline constexpr KeySpec kKeyValuePairs{.first = 1, .last = -1, .step = 2};
inline constexpr KeySpec kFirstTwoKeys{.first = 1, .last = 2, .step = 1};
inline constexpr KeySpec kSubcommandKey{.first = 2, .last = 2, .step = 1};

// A subcommand of a container command (CLIENT, COMMAND, CONFIG, MEMORY, OBJECT), as Redis 7
// declares them: admission looks it up and checks its arity before the request runs or is
// queued in a transaction, then its execute runs the request.
struct Subcommand {
  std::string_view name;  // lowercase
  int arity = 0;          // as a command's: the container and the subcommand both count
  void (*execute)(ExecContext&) = nullptr;
};

// Declared through the shape builders of command_families.h, never field by field.
struct CommandSpec {
  std::string_view name;  // lowercase, as in COMMAND output
  int arity = 0;          // Redis convention: N exact, -N at least N (the name counts)
  Access access = Access::kAnyone;  // the roles it needs (COMMAND DOCS "acl_roles")
  // An option that asks for more roles (COMMAND DOCS "acl_roles_with_options").
  AccessOption access_option{};
  bool before_auth = false;  // allowed before authentication (AUTH HELLO QUIT, as in Redis)
  // An immediate command whose reply is computed from the keyspace: on a cluster it waits
  // for a read barrier (linearizable) unless the connection asked for local reads.
  bool reads_keyspace = false;
  KeySpec keys;
  std::string_view group, since, summary;  // COMMAND DOCS
  // Immediate commands: set execute.
  void (*execute)(ExecContext&) = nullptr;
  // Proposed commands: validate (optional) returns an error to reply instead of proposing;
  // apply runs in the state machine and must be deterministic.
  std::optional<std::string> (*validate)(Args) = nullptr;
  Reply (*apply)(ApplyContext&, Args) = nullptr;
  // A container command's subcommands: a request with a subcommand (args[1]) runs that
  // subcommand's execute; `execute` runs only a request without one (COMMAND alone).
  std::span<const Subcommand> subcommands{};

  bool proposes() const { return apply != nullptr; }

  // The roles the request `args` (args[0] is the name) needs: `access`, or the option's
  // when the request carries it.
  Access access_for(Args args) const;
};

// The one arity check, of commands and of subcommands alike (shape_error()): the
// wrong-arity error naming `name` ("get", "client|setname") unless `argc` arguments (the
// name counts) fit `arity` (Redis's convention) and are no more than `at_most` (PING takes
// one or none).
std::optional<std::string> arity_error(std::string_view name, int arity, std::size_t argc,
                                       std::size_t at_most = SIZE_MAX);

}  // namespace keepdb::commands
