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
// snapshot: the whole store as one kv_snapshot.h image, tagged with the store's own
//   applied index (which may be ahead of raft's after a restart: replayed entries are then
//   skipped on every server that restores it).
// restore: replaces the store with the image, unless the store is already at or past it; a
//   storage failure is reported as for apply.
//
// Durability of the KV environment (chosen in node.cpp): it is opened with MDB_NOSYNC.
// The Raft log is the durable record: an entry is acknowledged once fsynced in the log on
// a majority, and the store is a cache of the log's applied prefix. LMDB without
// MDB_WRITEMAP keeps the store consistent (the applied index moves in the same
// transaction as the data) while giving up durability of the newest transactions on an
// OS crash; a process crash (kill -9) loses nothing, the page cache survives. The snapshot
// callback runs mdb_env_sync before raft compacts its log behind that snapshot, so
// everything the log forgets is on disk in both the snapshot file and the store; anything
// newer is replayed from the log at restart. Syncing each apply would put a second fsync
// on the network thread for every batch (about 0.3 ms here) for no extra safety.
//
// Thread-safety: raft calls it on the raft (network) thread only.
// Lifetime: the environment and the store must outlive it; bind() the raft instance before
// raft_start.
#pragma once

#include <cstdint>
#include <vector>

#include "util/io_status.h"

#include "kernel/commands/state_machine.h"
#include "util/raft_c_api.h"
#include "storage/kv_store.h"

namespace keepdb::consensus {

class KvFsm {
 public:
  // `env` is the store's environment (synced before snapshots).
  KvFsm(storage::Env& env, const storage::KvStore& kv, std::uint64_t max_value_bytes);
  KvFsm(const KvFsm&) = delete;
  KvFsm& operator=(const KvFsm&) = delete;

  raft_fsm* get() { return &fsm_; }
  void bind(struct raft* raft) { raft_ = raft; }

  // The applied index stored with the data.
  std::uint64_t applied_index() const { return applied_index_; }

  // The first storage failure of apply or restore since clear_failure() (RAFT_NOSPACE for a
  // full disk or map, RAFT_IOERR otherwise), or success.
  const util::IoStatus& failure() const { return failure_; }
  void clear_failure() { failure_ = util::IoStatus::success(); }

 private:
  static KvFsm& self(raft_fsm* fsm) { return *static_cast<KvFsm*>(fsm->data); }
  int apply(const raft_buffer& buffer, void** result);
  int snapshot(raft_buffer* bufs[], unsigned* n_bufs);
  int restore(raft_buffer& buffer);
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
