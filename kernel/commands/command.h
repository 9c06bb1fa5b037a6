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
};

struct ApplyContext {
  const storage::KvStore& kv;
  MDB_txn* txn;
  std::uint64_t max_value_bytes;  // APPEND may not grow a value past this
  std::uint64_t now_ms;           // the batch's time on the state machine clock

  // The record of `key` unless it is absent or expired at now_ms. An expired record is
  // erased on the way (every server erases it at the same point of the log).
  std::optional<storage::ValueView> live(std::string_view key) const {
    auto value = kv.get(txn, key);
    if (value && value->expired(now_ms)) {
      kv.erase(txn, key);
      return std::nullopt;
    }
    return value;
  }
};

// Who may run a command: any authenticated client, or principals holding a role.
enum class Access : std::uint8_t { kAnyone, kRead, kWrite, kAdmin };

struct CommandSpec {
  std::string_view name;  // lowercase, as in COMMAND output
  int arity;              // Redis convention: N exact, -N at least N (the name counts)
  Access access;
  bool before_auth;       // allowed before authentication (AUTH HELLO PING QUIT)
  int first_key, last_key, key_step;
  std::string_view group, since, summary;  // COMMAND DOCS
  // Immediate commands: set execute.
  void (*execute)(ExecContext&) = nullptr;
  // Proposed commands: validate (optional) returns an error to reply instead of proposing;
  // apply runs in the state machine and must be deterministic.
  std::optional<std::string> (*validate)(Args) = nullptr;
  Reply (*apply)(ApplyContext&, Args) = nullptr;

  bool proposes() const { return apply != nullptr; }
};

}  // namespace keepdb::commands
