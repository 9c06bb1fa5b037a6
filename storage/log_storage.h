// LogStorage: what RaftIo needs from durable storage: term and vote, the log entries and the
// newest snapshot. storage/raft_log_store.h implements it on LMDB; the unit tests have an
// in-memory version with fault injection.
//
// Threading: every method is called from the raft thread. The asynchronous operations
// (append, truncate, snapshot_put, snapshot_get, drain) are executed in submission order;
// their callbacks run exactly once, on any thread (possibly inside the call), in submission
// order. Errors are sticky: after one failed write every later write fails, until restart (or
// reset_after_failure, which RaftNode uses to restart raft in-process).
// Ownership: entries and snapshots passed in belong to the caller and stay valid and
// unchanged until the operation's callback has run; storage never keeps them afterwards.
#pragma once

#include <functional>
#include <span>

#include "util/io_status.h"
#include "storage/loaded_log.h"
#include "util/raft_c_api.h"
#include "util/raft_memory.h"

namespace keepdb::storage {

class LogStorage {
 public:
  using Done = std::function<void(util::IoStatus status)>;
  using SnapshotDone = std::function<void(util::IoStatus status, util::RaftSnapshotPtr snapshot)>;

  virtual ~LogStorage() = default;

  // Synchronous. Reads all durable state; called once, before any asynchronous operation.
  // Afterwards appends write at out.start_index + out.entries.size().
  virtual util::IoStatus load(LoadedLog& out) = 0;

  // Synchronous and durable: term 1, vote 0 and `first_entry` at index 1.
  // RAFT_CANTBOOTSTRAP when any term, vote, entry or snapshot exists.
  virtual util::IoStatus bootstrap(const raft_entry& first_entry) = 0;

  // Synchronous and durable: appends a RAFT_CHANGE entry with payload `configuration` after
  // the last stored entry (or the snapshot), in the term of that last entry (1 when empty).
  virtual util::IoStatus recover(const raft_buffer& configuration) = 0;

  // Synchronous and durable before returning. set_term also resets the vote to 0, atomically.
  virtual util::IoStatus set_term(raft_term term) = 0;
  virtual util::IoStatus set_vote(raft_id server_id) = 0;

  // Writes `entries` at the next index and advances it. `done` runs once they, and every
  // earlier append, are durable (or failed).
  virtual void append(std::span<const raft_entry> entries, Done done) = 0;

  // Deletes entries [index, ∞) after every earlier operation; the next append writes at
  // `index`. A failure surfaces through the next append (sticky error).
  virtual void truncate(raft_index index) = 0;

  // Durably stores `snapshot` (its bufs concatenated) with its metadata. trailing > 0: then
  // deletes entries up to snapshot.index - trailing. trailing == 0 (installing a leader's
  // snapshot): deletes every entry and the next append writes at snapshot.index + 1.
  virtual void snapshot_put(unsigned trailing, const raft_snapshot& snapshot, Done done) = 0;

  // Reads the newest snapshot (one buffer, raft_malloc'd) after earlier operations.
  virtual void snapshot_get(SnapshotDone done) = 0;

  // Runs `done` after every earlier operation has completed and its callback has returned.
  virtual void drain(std::function<void()> done) = 0;

  // A hint: true when nothing replicates in parallel with this server's log writes (it
  // follows), so appends and truncations may run on the calling thread, their callbacks
  // inside the call, saving two thread hand-offs per write; false (the default) keeps them
  // off the caller's thread, so a leader's own write overlaps with replication. Order and
  // durability are the same either way.
  virtual void set_write_inline(bool write_inline) { (void)write_inline; }

  // The sticky error of the first failed write, or success.
  virtual util::IoStatus failure() const { return util::IoStatus::success(); }
  // Only after drain(), with no operation pending: forgets the sticky error and every
  // in-memory view of the log, so that the next load() reads the durable state again, as a
  // restarted process would. Returns false when this storage cannot do that.
  virtual bool reset_after_failure() { return false; }
};

}  // namespace keepdb::storage
