// MemoryLogStorage: a LogStorage whose "disk" is in memory and survives simulated restarts
// of its server, with a fixed write latency on the virtual clock and fault injection: it can
// be told to fail the next N writes (as a failed fsync would), after which it is sticky-failed
// like the real store until restart().
//
// Thread-safety: none; used on the simulation's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "storage/log_storage.h"
#include "tests/unit/consensus/virtual_clock.h"

namespace keepdb::consensus::testing {

struct StoredEntry {
  raft_term term = 0;
  unsigned short type = 0;
  std::vector<std::uint8_t> payload;
};

struct StoredSnapshot {
  raft_index index = 0;
  raft_term term = 0;
  raft_index configuration_index = 0;
  std::vector<std::uint8_t> configuration;  // configuration_codec.h encoding
  std::vector<std::uint8_t> data;
};

class MemoryLogStorage final : public storage::LogStorage {
 public:
  MemoryLogStorage(VirtualScheduler& scheduler, std::uint64_t write_latency_ms);

  // The next `count` writes (synchronous or not) fail with RAFT_IOERR.
  void fail_next_writes(unsigned count) { writes_to_fail_ = count; }
  // A new process on the same disk: forgets the sticky error. Nothing may be in flight.
  void restart();

  // The durable state.
  raft_term term() const { return term_; }
  raft_id vote() const { return vote_; }
  const std::map<raft_index, StoredEntry>& entries() const { return entries_; }
  const std::optional<StoredSnapshot>& snapshot() const { return snapshot_; }
  unsigned snapshots_installed() const { return snapshots_installed_; }
  unsigned truncations() const { return truncations_; }
  bool failed() const { return !sticky_error_.ok(); }

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

 private:
  // Runs `operation` after the write latency, after every earlier operation.
  void schedule(std::function<void()> operation);
  // Accounts for one write: the sticky error, or an injected failure (which becomes sticky).
  util::IoStatus start_write();
  void put_entry(raft_index index, const raft_entry& entry);
  util::IoStatus copy_snapshot(util::RaftSnapshotPtr& out) const;  // snapshot_ must be set
  void erase_entries(raft_index first, raft_index last);

  VirtualScheduler& scheduler_;
  const std::uint64_t write_latency_ms_;
  std::uint64_t last_operation_ms_ = 0;
  unsigned writes_to_fail_ = 0;
  util::IoStatus sticky_error_;
  raft_index next_index_ = 1;

  raft_term term_ = 0;
  raft_id vote_ = 0;
  std::map<raft_index, StoredEntry> entries_;
  std::optional<StoredSnapshot> snapshot_;
  unsigned snapshots_installed_ = 0;
  unsigned truncations_ = 0;
};

}  // namespace keepdb::consensus::testing
