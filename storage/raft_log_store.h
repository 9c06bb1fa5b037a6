// RaftLogStore: the durable Raft state in <data_dir>/raft/: term, vote, snapshot metadata and
// the log's generation and first live index in an LMDB environment; the log entries in
// append-only segment files in log/ (segment_log.h); snapshot data files in snapshots/
// (snapshot_file.h). LMDB record layouts: raft_log_records.h.
//
// Writes: set_term, set_vote, bootstrap and recover are durable before they return, on the
// caller's thread. Appends, truncations and snapshot operations run on one writer thread in
// submission order; all appends and truncations queued together are written to the segments
// and made durable with one fdatasync (group commit) before their callbacks run, in order, on
// the writer thread. With set_write_inline(true) (a follower), an append or truncation that
// finds the writer idle runs on the caller's thread instead, its callback inside the call:
// two thread hand-offs fewer on the path of every replicated write. A snapshot is written to its file durably, then its metadata commits
// together with the log's new first live index (compaction: whole segments below it are then
// deleted) or with a new log generation (installing a leader's snapshot: the old generation's
// segments are then deleted, and a crash before that leaves files load() ignores and deletes).
// A large snapshot delays the appends queued behind it. After any failed write every later
// write fails (sticky error) until reset_after_failure(), after which load() reopens the log
// from disk (a torn tail of a failed write is cut off as after a crash). Corrupt records, segments or LMDB state give RAFT_CORRUPT, never
// a crash; a torn tail of the last segment is cut off on load.
//
// Upgrade: a data directory whose entries are still in LMDB (the format before segments) has
// them copied into a new segment generation durably, then the LMDB table emptied and the
// generation switched in one transaction, the first time the log is opened.
//
// Start-up: raft calls bootstrap (refused once any state exists), then load. A store with a
// term, vote or snapshot in LMDB is refused without touching the segments, so load's scan,
// which checks every record and cuts a torn tail, is the only read of the log at start.
//
// Thread-safety: as LogStorage (one raft thread calls it); bootstrap, recover and load run
// before any asynchronous operation, so the writer thread then owns the segments alone.
// Lifetime: the destructor finishes every queued operation (running its callback) before
// returning.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/log_storage.h"
#include "util/latency_histogram.h"
#include "util/serial_worker.h"
#include "storage/lmdb.h"
#include "storage/raft_log_records.h"
#include "storage/segment_log.h"

namespace keepdb::storage {

struct RaftLogStoreOptions {
  std::filesystem::path directory;             // <data_dir>/raft; created 0700 if missing
  std::uint64_t map_size_bytes = 64ull << 30;  // address space only; the file grows as needed
  std::uint64_t segment_bytes = 64ull << 20;   // log segment size before rolling over
};

// The segment size for a log compacted every `snapshot_threshold_bytes`: a quarter of it,
// from 1 MiB to 64 MiB, so that compaction (which deletes whole segments) frees disk space
// in steps well under the threshold.
std::uint64_t segment_bytes_for(std::uint64_t snapshot_threshold_bytes);

class RaftLogStore final : public storage::LogStorage {
 public:
  // Opens or creates the store. Never throws: errors come back as RAFT_IOERR/RAFT_CORRUPT.
  static util::IoStatus open(const RaftLogStoreOptions& options,
                                  std::unique_ptr<RaftLogStore>& out);
  ~RaftLogStore() override;

  util::IoStatus load(storage::LoadedLog& out) override;
  util::IoStatus bootstrap(const raft_entry& first_entry) override;
  util::IoStatus recover(const raft_buffer& configuration) override;
  util::IoStatus set_term(raft_term term) override;
  util::IoStatus set_vote(raft_id server_id) override;
  void append(std::span<const raft_entry> entries, Done done) override;
  void truncate(raft_index index) override;
  void snapshot_put(unsigned trailing, const raft_snapshot& snapshot, Done done) override;
  void snapshot_get(SnapshotDone done) override;
  void drain(std::function<void()> done) override;
  void set_write_inline(bool write_inline) override { write_inline_ = write_inline; }
  util::IoStatus failure() const override;
  bool reset_after_failure() override;
  // How long each durable write of appended entries took (the segment write and its
  // fdatasync), on whichever thread ran it; any thread may read it.
  const util::LatencyHistogram& sync_latency() const { return sync_latency_; }

 private:
  struct AppendOp {
    std::span<const raft_entry> entries;
    Done done;
  };
  struct TruncateOp {
    raft_index index;
  };
  struct SnapshotPutOp {
    unsigned trailing;
    const raft_snapshot* snapshot;
    Done done;
  };
  struct SnapshotGetOp {
    SnapshotDone done;
  };
  struct DrainOp {
    std::function<void()> done;
  };
  using Operation = std::variant<AppendOp, TruncateOp, SnapshotPutOp, SnapshotGetOp, DrainOp>;

  RaftLogStore(const RaftLogStoreOptions& options, std::unique_ptr<Env> env);

  void enqueue(Operation operation);
  // Writer thread: everything queued so far, in order.
  void write_queued();
  void write_log_batch(std::span<Operation> batch);
  void write_snapshot(const SnapshotPutOp& operation);
  void read_snapshot(const SnapshotGetOp& operation);

  // Reads the log metadata, migrates entries still in LMDB, and opens the current generation's
  // segments, visiting the live entries.
  util::IoStatus open_log(const SegmentLog::Visitor& visit);
  // For bootstrap and recover, which may run before load(): opens without visiting.
  util::IoStatus open_log_if_needed();
  // Copies the old-format LMDB entries into a new generation's segments durably, then empties
  // the table and switches generation in one commit; a crash before that commit redoes it.
  util::IoStatus migrate_old_entries();
  // Syncs the segments after a successful `status`; a failure becomes the sticky error.
  util::IoStatus sync_log_write(util::IoStatus status);

  // Runs `write` in a write transaction and commits it durably, converting LMDB errors; a
  // failure becomes the sticky error, its message naming the file, `what` and the errno.
  template <typename Write>
  util::IoStatus write_transaction(Write write, std::string_view what = "write");
  util::IoStatus sticky_error() const;
  util::IoStatus remember_failure(util::IoStatus status);

  const std::filesystem::path snapshot_directory_;
  const SegmentLogOptions log_options_;
  std::unique_ptr<Env> env_;
  MDB_dbi entries_db_ = 0;  // the old format's entries: read once, to migrate them
  MDB_dbi meta_db_ = 0;

  mutable std::mutex error_mutex_;
  util::IoStatus sticky_error_;

  std::mutex queue_mutex_;
  std::vector<Operation> queue_;
  bool write_scheduled_ = false;
  unsigned writer_tasks_ = 0;  // submitted to the writer thread and not finished
  bool write_inline_ = false;  // raft thread only

  // Set by bootstrap, recover and load on the raft thread before the first operation is
  // queued; afterwards used by whichever thread writes the log: the writer thread, or the
  // raft thread writing inline while the writer is idle.
  std::unique_ptr<SegmentLog> log_;
  LogMeta log_meta_;
  util::LatencyHistogram sync_latency_;
  raft_index next_index_ = 1;
  std::uint64_t last_snapshot_sequence_ = 0;

  util::SerialWorker writer_{"keepd-log"};  // last: joined before the environment closes
};

}  // namespace keepdb::storage
