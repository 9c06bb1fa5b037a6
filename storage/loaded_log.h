// LoadedLog: the durable raft state a LogStorage hands back from load(), already in the
// raft_malloc'd shape raft's load() expects, plus the consistency rules every
// store applies while building it: entries form one contiguous range; without a snapshot it
// starts at 1; with one it starts at most one past the snapshot (overlap is allowed, a gap is
// corruption), and a range ending below the snapshot is dropped as fully covered.
//
// Thread-safety: a move-only value.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "util/io_status.h"
#include "util/raft_memory.h"

namespace keepdb::storage {

class LoadedLog {
 public:
  raft_term term = 0;
  raft_id voted_for = 0;
  util::RaftSnapshotPtr snapshot;    // newest durable snapshot, or null
  raft_index start_index = 1;  // index of entries[0]; set by finish()
  util::RaftEntryArray entries;
  std::string repair;  // what loading cut off a torn log tail, for the node's log; or empty

  // Adds the stored entry at `index`; entries must be added in increasing index order.
  // RAFT_CORRUPT for a gap or an unknown entry type.
  util::IoStatus add_entry(raft_index index, raft_term entry_term, unsigned short type,
                     std::span<const std::uint8_t> payload);

  // Applies the snapshot rules above once the snapshot and every entry are set, and gives
  // the index the next append writes at. RAFT_CORRUPT when the log is inconsistent.
  util::IoStatus finish(raft_index& next_index);

 private:
  raft_index first_index_ = 0;  // 0 until the first entry is added
};

}  // namespace keepdb::storage
