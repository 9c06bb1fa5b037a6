// WriteWindow: one write transaction of an environment kept open across many units of work
// (the state machine's applied log entries) and committed as one, so the commit's page
// writes and its sync are paid once per window instead of once per unit. The owner decides
// when to commit (due()): after `max_age`, `max_units` units (e.g. ops) or `max_bytes`
// bytes.
//
// Readers on the owning thread must read through reader(): while a window is open its
// transaction holds the newest state, which no read-only transaction can see yet.
//
// Thread-safety: one thread, the one that opened the window (an LMDB write transaction
// belongs to its thread). Views read through the open transaction are valid until the
// next write through it or its end (the owner writes only between readers' calls).
// Lifetime: the environment outlives it; destroying an open window aborts it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "storage/lmdb.h"

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
  // Drops the open window, if any, and everything written through it.
  void abort();

 private:
  const Env& env_;
  Limits limits_;
  std::optional<WriteTxn> txn_;
  Clock::time_point opened_;
  std::uint64_t units_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace keepdb::storage
