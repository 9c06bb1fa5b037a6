// Applies write-command batches to the key-value store.
#include "kernel/commands/state_machine.h"

#include <algorithm>
#include <optional>
#include <string>

#include "kernel/commands/command.h"
#include "kernel/commands/command_table.h"
#include "kernel/commands/internal_ops.h"
#include "kernel/commands/op_batch.h"
#include "kernel/log/escape.h"
#include "kernel/log/log.h"

namespace keepdb::commands {

namespace {

std::string undecodable_header(std::string_view batch) {
  if (batch.empty()) return "an empty write batch";
  const unsigned version = static_cast<std::uint8_t>(batch[0]);
  if (version == 0 || version > kOpBatchVersion) {
    return "a write batch of format version " + std::to_string(version) +
           ", and this build reads versions 1 to " + std::to_string(kOpBatchVersion);
  }
  return "a write batch of format version " + std::to_string(version) + " whose header is damaged";
}

}  // namespace

const std::vector<Reply>& StateMachine::apply_batch(MDB_txn* txn, std::string_view batch,
                                                    std::uint64_t index) {
  replies_.clear();
  OpBatchReader reader(batch);
  const std::optional<std::uint32_t> header_count = reader.count();
  if (!header_count) throw UnappliableBatch(undecodable_header(batch));
  const std::uint32_t declared = *header_count;
  // The clock never runs backwards, even when a new leader's wall clock is behind.
  const std::uint64_t clock = kv_.clock_ms(txn);
  const std::uint64_t now = std::max(clock, reader.time_ms());
  const unsigned databases = reader.databases();
  if (databases == databases_) {
    warned_databases_ = 0;
  } else if (databases != warned_databases_) {
    warned_databases_ = databases;
    log::warn("a write batch built with storage.databases = ", databases,
              " applies on this node, configured with ", databases_,
              ": its SELECT, MOVE, SWAPDB and COPY ... DB are checked against ", databases,
              " as on every node, but this node's clients can select only its own ",
              databases_, "; give every node the same storage.databases");
  }
  // The leader's limit when the batch carries it, so every node answers APPEND alike.
  const std::uint64_t max_value_bytes = reader.max_value_bytes().value_or(max_value_bytes_);
  // One cursor for the batch's puts (a SET's single B-tree search), not one per put.
  const storage::KvStore::PutCursor put_cursor = kv_.put_cursor(txn);
  ApplyContext context{kv_, txn, max_value_bytes, now, node_, 0, databases, put_cursor.get()};
  while (reader.next(args_)) {
    context.db = reader.db();
    const CommandSpec* spec = command_table().find(args_[0]);
    if (spec == nullptr) spec = find_internal_op(args_[0]);
    // Ops were checked before they were proposed, by the same checks: one that fails them
    // here was built by another version, and must not index past its arguments.
    const auto argc = static_cast<int>(args_.size());
    if (spec == nullptr || !spec->proposes() || (spec->arity > 0 && argc != spec->arity) ||
        (spec->arity < 0 && argc < -spec->arity) ||
        (spec->validate != nullptr && spec->validate(args_))) {
      throw UnappliableBatch("op " + std::to_string(replies_.size() + 1) + " of " +
                             std::to_string(declared) + " is '" + log::truncated(args_[0], 64) +
                             "' with " + std::to_string(argc - 1) +
                             " argument(s), not a write this build applies");
    }
    replies_.push_back(spec->apply(context, args_));
  }
  if (reader.malformed() || replies_.size() != declared) {
    throw UnappliableBatch("the write batch is damaged after op " +
                           std::to_string(replies_.size()) + " of " + std::to_string(declared));
  }
  kv_.set_applied_index(txn, index);
  if (now != clock) kv_.set_clock_ms(txn, now);
  return replies_;
}

}  // namespace keepdb::commands
