// KvFsm: libraft's state machine (struct raft_fsm, version 1) over the key-value LMDB
// environment.
//
// apply: one op batch (one log entry) is applied by commands::StateMachine in the open
//   write window (storage/write_window.h), which also stores the entry's index as the
//   applied index. The window is committed as one transaction once it is
//   `commit_interval` old, holds kMaxWindowBytes bytes of batches or, in a store larger
//   than kSmallStoreBytes, kMaxWindowOps ops (checked after each apply and by
//   checkpoint_if_due(), which RaftNode calls after every raft event), and before a
//   snapshot, a restore and shutdown. Entries at or
//   below the stored applied index are skipped, so the store survives restarts without
//   being rebuilt (raft replays every entry after its snapshot, which covers whatever an
//   uncommitted window held). The replies stay in this object until the next apply;
//   *result points at them, for the leader's apply callback. Readers on the network thread
//   read through window() (NodeContext, the expiry sweeper), so they see every applied
//   entry. A storage failure (a full disk, an I/O error) cannot be skipped: the window is
//   dropped and the applied index falls back to the last committed one; apply (this one
//   and every later one until clear_failure()) returns RAFT_IOERR, so raft does not count
//   the entry as applied, and failure() reports the cause. RaftNode restarts raft
//   in-process (raft_node.h), which replays every entry after the committed index; until
//   a commit succeeds again each entry commits on its own, so a disk that is still full
//   fails the first entry replayed, not one a window later after writes resumed. Each
//   entry also commits on its own while the file system has less than kLowSpaceBytes free.
//   While the store is behind entries it applied before a failure (lost_applied()), reads
//   are refused (RaftNode::read_refusal): those entries were answered to clients. An entry
//   this build cannot apply (commands::UnappliableBatch: a newer leader's format, a damaged
//   log) is neither skipped nor applied in part: it fails like a storage error, with
//   RAFT_CORRUPT, and RaftNode stops the server, since a replay would meet it again.
// snapshot (log compaction): costs O(1) in the data: it syncs the environment
//   (commits the window, then mdb_env_sync: what the commits since the last sync wrote) and returns a kv_snapshot.h
//   descriptor naming the store's applied index and clock. The state stays in LMDB.
// restore: commits the window first. Of a descriptor, checks that the store holds that state (at or past its index),
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

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "util/io_status.h"

#include "kernel/commands/state_machine.h"
#include "util/raft_c_api.h"
#include "storage/kv_store.h"
#include "storage/write_window.h"

namespace keepdb::consensus {

class KvFsm {
 public:
  // A window also commits once it holds kMaxWindowBytes of batches, whatever its age, and
  // once it holds kMaxWindowOps ops if the store uses more than kSmallStoreBytes: that
  // bounds the memory of its dirty pages, which are at most the store's pages plus what its
  // batches add (so a smaller store bounds them by itself, and a hot set of keys is written
  // once per window however many ops it took).
  static constexpr std::uint64_t kMaxWindowOps = 8192;
  static constexpr std::uint64_t kMaxWindowBytes = 16ull << 20;
  static constexpr std::uint64_t kSmallStoreBytes = 128ull << 20;
  // With less free space than this on the store's file system, each entry commits on its
  // own, so a disk that fills up fails one unanswered entry rather than a window of answered
  // ones (whose loss hides them from reads until they are replayed).
  static constexpr std::uint64_t kLowSpaceBytes = 64ull << 20;

  // `env` is the store's environment (synced before snapshots). `commit_interval` 0 commits
  // every entry on its own. `small_store_bytes` is kSmallStoreBytes but in tests.
  KvFsm(storage::Env& env, const storage::KvStore& kv, std::uint64_t max_value_bytes,
        unsigned databases = config::kDefaultDatabases,
        std::chrono::milliseconds commit_interval = config::kDefaultCommitInterval,
        std::uint64_t small_store_bytes = kSmallStoreBytes);
  KvFsm(const KvFsm&) = delete;
  KvFsm& operator=(const KvFsm&) = delete;

  raft_fsm* get() { return &fsm_; }
  void bind(struct raft* raft) { raft_ = raft; }

  // Where the reads inside a transaction run (StateMachine::set_node_context).
  void set_node_context(commands::NodeContext* node) { state_machine_.set_node_context(node); }

  // The applied index stored with the data (committed or in the open window).
  std::uint64_t applied_index() const { return applied_index_; }

  // The open write window, for readers on the network thread (storage/write_window.h).
  const storage::WriteWindow& window() const { return window_; }
  // True while a failed commit has left the store behind entries this node applied (and
  // answered) before it: reads cannot show those writes until raft replays them.
  bool lost_applied() const { return applied_index_ < highest_applied_; }
  // Commits the window if it has reached a limit (its age, above all).
  void checkpoint_if_due();
  // Commits the window. False on a storage failure, which failure() then reports.
  bool checkpoint();

  const storage::KvStore& kv_store() const { return kv_; }

  // Where a follower keeps the image a leader streamed to it until restore() switches to it.
  std::filesystem::path install_path() const { return env_.path() / "install.image"; }

  // The first failure of apply or restore since clear_failure(), or success: RAFT_NOSPACE
  // for a full disk or map, RAFT_CORRUPT for an entry this build cannot apply
  // (commands::UnappliableBatch), RAFT_IOERR for any other storage error.
  const util::IoStatus& failure() const { return failure_; }
  void clear_failure() { failure_ = util::IoStatus::success(); }

 private:
  static KvFsm& self(raft_fsm* fsm) { return *static_cast<KvFsm*>(fsm->data); }
  int apply(const raft_buffer& buffer, void** result);
  int snapshot(raft_buffer* bufs[], unsigned* n_bufs);
  int restore(raft_buffer& buffer);
  // Commits the window and moves the committed index; throws StorageError.
  void commit_window();
  // Whether the window's op limit applies, from the store's size (kMaxWindowOps).
  void limit_window_ops();
  // The store's file system has less than kLowSpaceBytes free.
  bool low_on_space() const;
  // Runs `write` in one write transaction, commits and syncs; 0 or the error for raft.
  // `source` names what is written, for the log.
  int replace_store(const std::function<bool(MDB_txn*)>& write, const char* source);
  // Switches the store to the streamed image if it is at or past `index`; false when there
  // is none (or a failure was recorded: then failure() is set).
  bool restore_installed(std::uint64_t index, int& rv);
  // Drops the window (the applied index falls back to the committed one), keeps the first
  // failure; returns RAFT_IOERR for raft.
  int fail(const storage::StorageError& error);
  int fail(util::IoStatus cause);

  storage::Env& env_;
  const storage::KvStore& kv_;
  const std::uint64_t small_store_bytes_;
  commands::StateMachine state_machine_;
  raft_fsm fsm_{};
  struct raft* raft_ = nullptr;
  storage::WriteWindow window_;
  std::uint64_t applied_index_ = 0;
  std::uint64_t committed_index_ = 0;  // the applied index the store holds committed
  std::uint64_t highest_applied_ = 0;  // the highest index ever applied, answered or not
  // No window: after a failure (until a commit succeeds) and while space is low.
  bool commit_each_ = false;
  util::IoStatus failure_;
  const std::vector<commands::Reply> no_replies_;
};

}  // namespace keepdb::consensus
