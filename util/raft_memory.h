// Owners for memory that crosses the boundary with libraft. Everything here is allocated
// with raft_malloc, so release() can hand it to raft as is, and is freed
// with raft_free if it never reaches raft.
//
// Thread-safety: plain values; any thread may build one and move it to another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "util/io_status.h"
#include "util/raft_c_api.h"

namespace keepdb::util {

// Frees a snapshot built by allocate_snapshot(): its configuration, buffers and the struct.
struct RaftSnapshotDeleter {
  void operator()(raft_snapshot* snapshot) const noexcept;
};
using RaftSnapshotPtr = std::unique_ptr<raft_snapshot, RaftSnapshotDeleter>;

// A zeroed snapshot with an empty configuration and exactly one buffer of `data_bytes`
// uninitialized bytes (never a null base, even for 0 bytes). Null when out of memory.
RaftSnapshotPtr allocate_snapshot(std::size_t data_bytes);

// Appends a copy of every server of `source` to `target` (built with raft_configuration_add).
IoStatus copy_configuration(const raft_configuration& source, raft_configuration& target);

// Total size of a snapshot's data buffers.
std::size_t snapshot_data_bytes(const raft_snapshot& snapshot);

// Log entries in the shape load() hands to raft: one raft_malloc'd array, and each entry's
// payload in its own raft_malloc'd block with batch == NULL.
class RaftEntryArray {
 public:
  RaftEntryArray() = default;
  RaftEntryArray(RaftEntryArray&& other) noexcept;
  RaftEntryArray& operator=(RaftEntryArray&& other) noexcept;
  ~RaftEntryArray();

  void reserve(std::size_t count) { entries_.reserve(count); }
  // Copies `payload` into a new raft_malloc'd block. RAFT_NOMEM when out of memory.
  IoStatus append(raft_term term, unsigned short type, std::span<const std::uint8_t> payload);
  // Frees every entry from position `count` on.
  void shrink(std::size_t count);
  std::size_t size() const { return entries_.size(); }
  const raft_entry& operator[](std::size_t position) const { return entries_[position]; }

  // Moves the entries into one raft_malloc'd array (null when empty or out of memory, in
  // which case nothing is released) and leaves this array empty. `count` receives the size.
  raft_entry* release(std::size_t& count);

 private:
  std::vector<raft_entry> entries_;
};

}  // namespace keepdb::util
