// WriteWindow: one write transaction of an environment kept open across many units of work
// (the state machine's applied log entries) and committed as one, so the commit's page
// writes and its sync are paid once per window instead of once per unit. The owner decides
// when to commit (due()): after `max_age`, `max_units` units (e.g. ops) or `max_bytes`
// bytes.
//
// Readers on the owning thread must read through reader(): while a window is open its
// transaction holds the newest state, which no read-only transaction can see yet.
//
// Each commit is timed (LMDB's page writes and their sync: what the owning thread waits
// for) and counted by why it happened, for INFO and /metrics.
//
// Thread-safety: one thread, the one that opened the window (an LMDB write transaction
// belongs to its thread); commit_latency() may be read from any thread. Views read through
// the open transaction are valid until the next write through it or its end (the owner
// writes only between readers' calls).
// Lifetime: the environment outlives it; destroying an open window aborts it.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "storage/lmdb.h"
#include "util/latency_histogram.h"

namespace keepdb::storage {

class WriteWindow {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    // 0: due() after every unit, so each unit commits alone.
    std::chrono::milliseconds max_age{0};
    std::uint64_t max_units = 1;
    std::uint64_t max_bytes = 1;
  };

  // Why a window committed: it was `max_age` old; it held `max_units` units or `max_bytes`
  // bytes; or its owner committed it before either (before a snapshot, a restore or
  // shutdown, or after each unit while the owner wants no window).
  enum class CommitCause : std::uint8_t { kAge, kSize, kRequested };
  static constexpr std::size_t kCommitCauses = 3;

  WriteWindow(const Env& env, Limits limits) : env_(env), limits_(limits) {}
  WriteWindow(const WriteWindow&) = delete;
  WriteWindow& operator=(const WriteWindow&) = delete;

  // Changes Limits::max_units; it applies to the open window too.
  void set_max_units(std::uint64_t max_units) { limits_.max_units = max_units; }

  // The open transaction, opening the window first if none is open.
  MDB_txn* begin();
  // The open transaction, or null.
  MDB_txn* open() const { return txn_ ? txn_->get() : nullptr; }
  // Where a reader on this thread sees the newest state: the open transaction, else
  // `snapshot` (begun if it is not; the caller ends it).
  MDB_txn* reader(ReadTxn& snapshot) const;

  // Counts `units` written through the open transaction, `bytes` in all.
  void add(std::uint64_t units, std::uint64_t bytes) {
    units_ += units;
    bytes_ += bytes;
  }
  // Whether the open window has reached one of its limits (false when none is open).
  bool due(Clock::time_point now) const;

  // Commits the open window, if any; the window is closed even when this throws
  // StorageError (then nothing it held was written).
  void commit();
  // How long each commit took, failed ones included.
  const util::LatencyHistogram& commit_latency() const { return commit_latency_; }
  // How many commits there were for `cause`, failed ones included.
  std::uint64_t commits(CommitCause cause) const {
    return commits_[static_cast<std::size_t>(cause)];
  }
  // Drops the open window, if any, and everything written through it.
  void abort();

 private:
  // The open window holds max_units units or max_bytes bytes.
  bool full() const;

  const Env& env_;
  Limits limits_;
  std::optional<WriteTxn> txn_;
  Clock::time_point opened_;
  std::uint64_t units_ = 0;
  std::uint64_t bytes_ = 0;
  util::LatencyHistogram commit_latency_;
  std::array<std::uint64_t, kCommitCauses> commits_{};
};

}  // namespace keepdb::storage
