// SegmentLog: the Raft log entries of one log generation as append-only segment files in
// <raft dir>/log/ (directory 0700, files 0600), named "g<generation>-<first index>.seg"
// (16 hex digits each). Generations: the Raft log store (raft_log_store.h) records the current
// one in LMDB and moves to a new one to discard a whole log at once; files of any other
// generation are garbage and open() deletes them.
//
// File layout, little-endian:
//   header (32 bytes): magic "KDBRAFTL", u32 version (1), u32 zero, u64 generation,
//                      u64 first index; both must match the file name.
//   records, back to back: u32 length of what follows the CRC | u32 CRC-32 of those bytes |
//                          u64 index | u64 term | u8 entry type | payload.
// Record indexes are consecutive within a segment and across the segments of a generation.
//   padding: zero bytes after the last record of the last segment (see Preallocation).
//
// Durability: append() only buffers; sync() writes the buffered records with one pwrite and
// makes them durable with one fdatasync (plus one directory fsync when it created a segment).
// A segment is synced and its padding cut off before the next one is created (roll over past
// segment_bytes), so only the last segment can hold padding or a crash tail. truncate() is
// durable before it returns.
//
// Preallocation: a write that would grow the last segment also writes zeros after it, up to
// the next multiple of `preallocate_bytes`, so that the appends of the following syncs
// overwrite blocks the file already has. Their fdatasync then writes the data alone: no block
// allocation and no inode (the file size is unchanged). Measured on ext4 at 7 KB per sync,
// that saves over a third of each sync's CPU and a fifth of its time; the sync that carries
// a step's zeros takes longer (bench/preallocate-probe.py). If the zeros cannot be
// written (a full disk), the segment appends without them until it rolls over.
//
// Loading: open() checks every record (CRC, consecutive indexes, header). Zeros from the end
// of the last segment's records to the end of the file are padding, kept for the appends.
// Other damage at the end of the last segment, where no intact record follows, is the tail of
// a write that never completed its sync: it is cut off (ftruncate + fdatasync). So is damage
// followed by intact records when it holds a lost sector (512 bytes of zeros where records
// were written: the disk kept later sectors of one write but not that one), with everything
// after it: no sync completed after that write, so nothing from there on was acknowledged.
// Other damage followed by intact records, and damage anywhere else, padding in an earlier
// segment included, is RAFT_CORRUPT. Memory: the file
// offset and term of every entry (16 bytes each).
//
// Thread-safety: none; one thread at a time (the log store's writer thread, or the raft thread
// before the writer starts). Lifetime: owns its descriptors; destruction does not sync.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "util/io_status.h"
#include "util/raft_c_api.h"
#include "util/posix_file.h"

namespace keepdb::storage {

struct SegmentLogOptions {
  std::filesystem::path directory;            // created 0700 if missing
  std::uint64_t segment_bytes = 64ull << 20;  // roll over to a new segment past this
  std::uint64_t preallocate_bytes = 256u << 10;  // zero-filled growth step; 0: exact appends
};

struct LogRecord {
  raft_index index = 0;
  raft_term term = 0;
  unsigned short type = 0;
  std::span<const std::uint8_t> payload;  // valid during the visit only
};

class SegmentLog {
 public:
  using Visitor = std::function<util::IoStatus(const LogRecord& record)>;

  // Opens `generation`: deletes other generations' files, ignores (and deletes) segments
  // holding only entries below `first_live_index`, checks and repairs the rest as described
  // above, and calls `visit` for each entry at or above first_live_index in index order.
  // A visitor error stops the scan and is returned.
  static util::IoStatus open(const SegmentLogOptions& options, std::uint64_t generation,
                       raft_index first_live_index, const Visitor& visit,
                       std::unique_ptr<SegmentLog>& out);

  // What open() cut off the last segment, for the node's log; empty when it cut nothing.
  const std::string& repair() const { return repair_; }

  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;
  ~SegmentLog();

  bool empty() const;
  // Index after the last entry; 0 when no segment exists yet (the first append decides).
  raft_index next_index() const;
  // Term of the last entry; only when !empty().
  raft_term last_term() const;

  // Buffers a record. `record.index` must be next_index(), or anything when next_index() is 0.
  // May write and sync the buffer early to roll over to a new segment.
  util::IoStatus append(const LogRecord& record);
  // Writes every buffered record and makes it durable.
  util::IoStatus sync();
  // Bytes of the last segment up to the end of its records, header included (the file may be
  // longer by its padding); 0 when no segment exists.
  std::uint64_t last_segment_bytes() const;
  // Durably removes the entries from `index` on (earlier buffered records are written first).
  util::IoStatus truncate(raft_index index);
  // Deletes the segments all of whose entries are <= up_to, never the last segment. Failures
  // only leave files that a later open() deletes.
  void drop_prefix(raft_index up_to);

 private:
  struct Position {
    std::uint64_t offset;
    raft_term term;
  };
  struct Segment {
    raft_index first_index;
    std::filesystem::path path;
    std::uint64_t size;               // bytes durable or written, header included
    std::vector<Position> positions;  // entry first_index + i is at positions[i]
    std::uint64_t allocated = 0;      // the file's size: `size` plus padding
  };

  SegmentLog(const SegmentLogOptions& options, std::uint64_t generation);

  struct ReadBuffer;

  // Checks `segment` (the generation's last one when `last`), read whole into `buffer`,
  // visiting its live entries. `removed` is set when a last segment that never got a complete
  // header was deleted.
  util::IoStatus load_segment(Segment& segment, bool last, raft_index first_live_index,
                        const Visitor& visit, ReadBuffer& buffer, bool& removed);
  util::IoStatus create_segment(raft_index first_index);
  util::IoStatus open_segment_for_writing(const Segment& segment);
  // Writes the buffer to the last segment without syncing it, with the zeros of the next
  // preallocation step when it grows the file.
  util::IoStatus write_pending();
  // Zero-fills the last segment from `end` (its records' end, at or past its allocated end)
  // to the next multiple of preallocate_bytes. A failure only stops preallocation for this
  // segment.
  void preallocate_after(std::uint64_t end);
  // Cuts the last segment's padding off durably, before it stops being the last.
  util::IoStatus cut_padding();

  const SegmentLogOptions options_;
  const std::uint64_t generation_;
  std::vector<Segment> segments_;
  util::FileDescriptor last_fd_;             // the last segment, open for writing
  std::vector<std::uint8_t> pending_;  // records buffered for the last segment
  bool unsynced_ = false;              // bytes written to last_fd_ since its last fdatasync
  bool directory_dirty_ = false;       // a segment was created since the last sync
  bool preallocation_failed_ = false;  // writing zeros failed in the last segment
  std::string repair_;                 // see repair()
};

std::string segment_file_name(std::uint64_t generation, raft_index first_index);

}  // namespace keepdb::storage
