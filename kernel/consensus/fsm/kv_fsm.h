// KvFsm: libraft's state machine (struct raft_fsm, version 1) over the key-value LMDB
// environment.
//
// apply: one op batch (one log entry) is applied by commands::StateMachine in one write
//   transaction that also stores the entry's index as the applied index. Entries at or
//   below the stored applied index are skipped, so the store survives restarts without
//   being rebuilt (raft replays every entry after its snapshot). The replies stay in this
//   object until the next apply; *result points at them, for the leader's apply callback.
//   A storage failure (a full disk, an I/O error) cannot be skipped: apply then returns
//   RAFT_IOERR, so raft does not count the entry as applied, and failure() reports the
//   cause until clear_failure(). RaftNode restarts raft in-process (raft_node.h), which
//   replays the entry; the aborted transaction left the store unchanged.
// snapshot (log compaction): costs O(1) in the data: it syncs the environment
//   (mdb_env_sync: what the commits since the last sync wrote) and returns a kv_snapshot.h
//   descriptor naming the store's applied index and clock. The state stays in LMDB.
// restore: of a descriptor, checks that the store holds that state (at or past its index),
//   as it always does at start-up. A store behind its descriptor switches to the image a
//   leader streamed to this node (install_path(), snapshot_transfer.h) when that image is at
//   or past the descriptor: it replaces the keyspace in one write transaction (atomic: a
//   node killed meanwhile restarts from its old store and the image, and does it again),
//   syncs, and removes the file. Without such an image the store lost data the log no
//   longer has, and is refused. Of an image (left by an older version): replaces the store
//   with it, unless the store is already at or past it. A storage failure is reported as
//   for apply.
//
// Durability of the KV environment (chosen in node.cpp; docs/architecture.md, "Snapshots
// and durability"): it is opened with MDB_NOMETASYNC. Each commit syncs its data pages
// before it writes its meta page, and the meta page reaches disk with the next commit's
// sync or a checkpoint; so an OS crash may undo the last committed transaction but never
// damages the file, and a process crash (kill -9) loses nothing. The applied index moves in
// the same transaction as the data. snapshot() checkpoints with a full sync before raft
// compacts its log behind the descriptor, so the log never forgets an entry the file may
// not durably hold; anything newer is replayed from the log at restart.
//
// Thread-safety: raft calls it on the raft (network) thread only.
// Lifetime: the environment and the store must outlive it; bind() the raft instance before
// raft_start.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "util/io_status.h"

#include "kernel/commands/state_machine.h"
#include "util/raft_c_api.h"
#include "storage/kv_store.h"

namespace keepdb::consensus {

class KvFsm {
 public:
  // `env` is the store's environment (synced before snapshots).
  KvFsm(storage::Env& env, const storage::KvStore& kv, std::uint64_t max_value_bytes,
        unsigned databases = config::kDefaultDatabases);
  KvFsm(const KvFsm&) = delete;
  KvFsm& operator=(const KvFsm&) = delete;

  raft_fsm* get() { return &fsm_; }
  void bind(struct raft* raft) { raft_ = raft; }

  // Where the reads inside a transaction run (StateMachine::set_node_context).
  void set_node_context(commands::NodeContext* node) { state_machine_.set_node_context(node); }

  // The applied index stored with the data.
  std::uint64_t applied_index() const { return applied_index_; }

  const storage::KvStore& kv_store() const { return kv_; }

  // Where a follower keeps the image a leader streamed to it until restore() switches to it.
  std::filesystem::path install_path() const { return env_.path() / "install.image"; }

  // The first storage failure of apply or restore since clear_failure() (RAFT_NOSPACE for a
  // full disk or map, RAFT_IOERR otherwise), or success.
  const util::IoStatus& failure() const { return failure_; }
  void clear_failure() { failure_ = util::IoStatus::success(); }

 private:
  static KvFsm& self(raft_fsm* fsm) { return *static_cast<KvFsm*>(fsm->data); }
  int apply(const raft_buffer& buffer, void** result);
  int snapshot(raft_buffer* bufs[], unsigned* n_bufs);
  int restore(raft_buffer& buffer);
  // Runs `write` in one write transaction, commits and syncs; 0 or the error for raft.
  // `source` names what is written, for the log.
  int replace_store(const std::function<bool(MDB_txn*)>& write, const char* source);
  // Switches the store to the streamed image if it is at or past `index`; false when there
  // is none (or a failure was recorded: then failure() is set).
  bool restore_installed(std::uint64_t index, int& rv);
  // Keeps the first failure; returns RAFT_IOERR for raft.
  int fail(const storage::StorageError& error);

  storage::Env& env_;
  const storage::KvStore& kv_;
  commands::StateMachine state_machine_;
  raft_fsm fsm_{};
  struct raft* raft_ = nullptr;
  std::uint64_t applied_index_ = 0;
  util::IoStatus failure_;
  const std::vector<commands::Reply> no_replies_;
};

}  // namespace keepdb::consensus
