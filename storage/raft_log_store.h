// RaftLogStore: the durable Raft state (term, vote, log entries, snapshots) in its own LMDB
// environment, <data_dir>/raft/, with snapshot data files in <data_dir>/raft/snapshots/.
// Record layouts: raft_log_records.h; snapshot files: snapshot_file.h.
//
// Writes: set_term, set_vote, bootstrap and recover commit synchronously on the caller's
// thread. Appends, truncations and snapshot operations run on one writer thread in submission
// order; all appends and truncations queued together go into one LMDB transaction and one
// durable commit (group commit) before their callbacks run, in order, on the writer thread.
// A snapshot is written to its file durably, then its metadata and the entry deletions commit
// in one transaction, then older snapshot files are removed. A large snapshot delays the
// appends queued behind it. After any failed write every later write fails (sticky error).
// Every LMDB return code is checked; corrupt or short records give RAFT_CORRUPT, never a crash.
//
// Thread-safety: as LogStorage (one raft thread calls it). Lifetime: the destructor finishes
// every queued operation (running its callback) before returning.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <variant>
#include <vector>

#include "kernel/consensus/log_storage.h"
#include "kernel/consensus/serial_worker.h"
#include "storage/lmdb.h"

namespace keepdb::storage {

struct RaftLogStoreOptions {
  std::filesystem::path directory;             // <data_dir>/raft; created 0700 if missing
  std::uint64_t map_size_bytes = 64ull << 30;  // address space only; the file grows as needed
};

class RaftLogStore final : public consensus::LogStorage {
 public:
  // Opens or creates the store. Never throws: errors come back as RAFT_IOERR/RAFT_CORRUPT.
  static consensus::IoStatus open(const RaftLogStoreOptions& options,
                                  std::unique_ptr<RaftLogStore>& out);
  ~RaftLogStore() override;

  consensus::IoStatus load(consensus::LoadedLog& out) override;
  consensus::IoStatus bootstrap(const raft_entry& first_entry) override;
  consensus::IoStatus recover(const raft_buffer& configuration) override;
  consensus::IoStatus set_term(raft_term term) override;
  consensus::IoStatus set_vote(raft_id server_id) override;
  void append(std::span<const raft_entry> entries, Done done) override;
  void truncate(raft_index index) override;
  void snapshot_put(unsigned trailing, const raft_snapshot& snapshot, Done done) override;
  void snapshot_get(SnapshotDone done) override;
  void drain(std::function<void()> done) override;

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

  // Runs `write` in a write transaction and commits it durably, converting LMDB errors; a
  // failure becomes the sticky error.
  template <typename Write>
  consensus::IoStatus write_transaction(Write write);
  consensus::IoStatus sticky_error();
  consensus::IoStatus remember_failure(consensus::IoStatus status);

  const std::filesystem::path snapshot_directory_;
  std::unique_ptr<Env> env_;
  MDB_dbi entries_db_ = 0;
  MDB_dbi meta_db_ = 0;

  std::mutex error_mutex_;
  consensus::IoStatus sticky_error_;

  std::mutex queue_mutex_;
  std::vector<Operation> queue_;
  bool write_scheduled_ = false;

  // Writer thread only (set by load() before the first operation is queued).
  raft_index next_index_ = 1;
  std::uint64_t last_snapshot_sequence_ = 0;

  consensus::SerialWorker writer_;  // last: joined before the environment closes
};

}  // namespace keepdb::storage
