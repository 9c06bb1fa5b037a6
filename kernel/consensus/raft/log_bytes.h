// LogBytes: the payload bytes of every entry of the raft log this server holds, by index, so
// that compaction can be sized in bytes (RaftNode) although libraft 0.15 counts entries.
// RaftIo keeps it in step with what raft asks of the log: load, append, truncate, and
// snapshot_put (a compaction forgets the entries it deletes; installing a leader's snapshot
// forgets them all). 8 bytes per entry held.
//
// Thread-safety: none; the raft thread only. A value type.
#pragma once

#include <cstdint>
#include <deque>

#include "util/raft_c_api.h"

namespace keepdb::consensus {

class LogBytes {
 public:
  // Forgets every entry; the next append is at `next_index`.
  void reset(raft_index next_index);
  // An entry of `bytes` at next_index().
  void append(std::uint64_t bytes);
  // Forgets the entries from `index` on; the next append is at `index`.
  void truncate(raft_index index);
  // Forgets the entries up to `index`, included.
  void forget_through(raft_index index);

  raft_index next_index() const { return first_index_ + cumulative_.size(); }
  // Bytes of the entries held in (after, through].
  std::uint64_t bytes_between(raft_index after, raft_index through) const;
  // How many entries ending at `through` fit in `budget` bytes: at least 1, at most `most`.
  unsigned entries_within(raft_index through, std::uint64_t budget, unsigned most) const;

 private:
  // Bytes of the entries held up to `index`, included, counted from base_.
  std::uint64_t total_through(raft_index index) const;

  raft_index first_index_ = 1;
  std::deque<std::uint64_t> cumulative_;  // [i]: bytes of entries first_index_ .. first_index_ + i
  std::uint64_t base_ = 0;                // what cumulative_ counts from
};

}  // namespace keepdb::consensus
