// The deterministic state machine: applies an encoded batch of write commands (see
// op_batch.h) to the key-value store inside the caller's write transaction, each op in the
// database it names, and records the index of the log entry it came from, in the same
// transaction.
//
// Time: every op of a batch runs at the same "now", the state machine clock: the larger of
// the batch time (the leader's wall clock when it built the batch) and the clock after the
// previous batch. It is stored with the applied index, so expiry decisions depend only on
// the log, never on the applying server's own clock.
//
// Thread-safety: none; the write path calls it from its one applying thread.
// Ownership: the replies live in the StateMachine until the next apply_batch call.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kernel/commands/node_context.h"
#include "kernel/commands/reply.h"
#include "kernel/commands/unappliable_batch.h"
#include "storage/kv_store.h"

namespace keepdb::commands {

class StateMachine {
 public:
  // `databases`: how many the node offers (storage.databases). SELECT, MOVE, SWAPDB and
  // COPY DB inside the log are checked against the count each batch carries (that of the
  // leader that built it, op_batch.h), never against this one, so that no two nodes apply
  // an op differently; a batch carrying another count is logged, again whenever the count that
  // batches carry changes to another one that differs.
  StateMachine(const storage::KvStore& kv, std::uint64_t max_value_bytes,
               unsigned databases = config::kDefaultDatabases)
      : kv_(kv), max_value_bytes_(max_value_bytes), databases_(databases) {}

  // Applies every op of `batch` in order, one Reply per op (a command's own error, such as
  // INCR of a non-integer, is its reply). A batch that does not decode, or holds an op that
  // is not a write this build applies, throws UnappliableBatch. Storage errors propagate
  // as storage::StorageError.
  const std::vector<Reply>& apply_batch(MDB_txn* txn, std::string_view batch,
                                        std::uint64_t index);

  const std::vector<Reply>& replies() const { return replies_; }

  // The node's context, where the reads inside a transaction run (transaction.h). Set once
  // before the first apply; without it those reads reply an error.
  void set_node_context(NodeContext* node) { node_ = node; }

 private:
  const storage::KvStore& kv_;
  std::uint64_t max_value_bytes_;
  unsigned databases_;
  unsigned warned_databases_ = 0;  // the differing count last logged; 0 after a matching one
  NodeContext* node_ = nullptr;
  std::vector<Reply> replies_;
  std::vector<std::string_view> args_;
};

}  // namespace keepdb::commands
