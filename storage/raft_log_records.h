// Byte layouts of the Raft log environment's records (storage/raft_log_store.h):
//   meta DB:    "term", "vote": u64; "snapshot": u8 version (1), u64 index, u64 term,
//               u64 configuration index, u64 file sequence, u64 data bytes, u32 data CRC-32,
//               then the configuration (util/configuration_codec.h);
//               "log": u8 version (1), u64 segment generation, u64 first live index
//               (storage/segment_log.h holds the entries themselves).
//   entries DB: the entries of data directories written before segment files: key u64
//               big-endian index (so LMDB order is index order); value u8 record version
//               (1), u8 entry type, u64 term, payload. Only read, to migrate them, and
//               empty afterwards.
// All integers except entry keys are little-endian. Readers refuse short, long or unknown
// records with RAFT_CORRUPT instead of trusting them.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "util/io_status.h"
#include "util/raft_c_api.h"

namespace keepdb::storage {

using util::IoStatus;

inline constexpr std::size_t kEntryRecordHeaderBytes = 1 + 1 + 8;

using EntryKey = std::array<std::uint8_t, 8>;
EntryKey entry_key(raft_index index);
util::IoStatus parse_entry_key(std::span<const std::uint8_t> key, raft_index& index);

// Writes the record of `entry` into `out`, which holds exactly
// kEntryRecordHeaderBytes + entry.buf.len bytes.
void write_entry_record(const raft_entry& entry, std::span<std::uint8_t> out);

struct EntryRecord {
  raft_term term = 0;
  unsigned short type = 0;
  std::span<const std::uint8_t> payload;  // points into the record
};
util::IoStatus read_entry_record(std::span<const std::uint8_t> record, EntryRecord& out);

std::array<std::uint8_t, 8> encode_u64_record(std::uint64_t value);
util::IoStatus decode_u64_record(std::span<const std::uint8_t> record, std::uint64_t& value);

struct SnapshotMeta {
  raft_index index = 0;
  raft_term term = 0;
  raft_index configuration_index = 0;
  std::uint64_t file_sequence = 0;  // names the data file (snapshot_file.h)
  std::uint64_t data_bytes = 0;
  std::uint32_t data_crc32 = 0;
  std::vector<std::uint8_t> configuration;  // encoded by configuration_codec.h
};
std::vector<std::uint8_t> encode_snapshot_meta(const SnapshotMeta& meta);
util::IoStatus decode_snapshot_meta(std::span<const std::uint8_t> record, SnapshotMeta& out);

// Which segment files hold the log, and where its live part starts: entries below
// first_live_index are covered by the snapshot and deleted logically (their segment files go
// once every entry in them is dead).
struct LogMeta {
  std::uint64_t generation = 0;
  raft_index first_live_index = 0;
};
std::vector<std::uint8_t> encode_log_meta(const LogMeta& meta);
util::IoStatus decode_log_meta(std::span<const std::uint8_t> record, LogMeta& out);

}  // namespace keepdb::storage
