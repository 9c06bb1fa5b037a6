// Snapshot data files of the Raft log store, in their own directory:
// "snapshot-<16 hex digit sequence>". A file is written durably (temp file, write, fsync,
// rename, fsync of the directory) before its metadata is committed, and older files are
// removed only after that. Integrity is checked on read with the size and CRC-32 kept in the
// metadata.
//
// Thread-safety: functions on distinct files may run concurrently; the Raft log store calls
// them from its writer thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "util/io_status.h"
#include "util/raft_c_api.h"

namespace keepdb::storage {

using util::IoStatus;

std::string snapshot_file_name(std::uint64_t sequence);

// Writes the concatenation of `buffers` to directory/snapshot_file_name(sequence) durably and
// reports its CRC-32. RAFT_IOERR (RAFT_NOSPACE when the disk is full) on failure; a failed
// write leaves at most a temporary file, removed by the next remove_other_snapshot_files().
util::IoStatus write_snapshot_file(const std::filesystem::path& directory, std::uint64_t sequence,
                             std::span<const raft_buffer> buffers, std::uint32_t& crc32);

// Reads the file into `out`, which has exactly the expected size. RAFT_CORRUPT when the file
// is missing, has another size, or fails the CRC-32 check.
util::IoStatus read_snapshot_file(const std::filesystem::path& directory, std::uint64_t sequence,
                            std::uint32_t expected_crc32, std::span<std::uint8_t> out);

// Removes every entry of `directory` except the snapshot file of `keep_sequence`. Failures
// only leave garbage behind, so they are ignored.
void remove_other_snapshot_files(const std::filesystem::path& directory,
                                 std::uint64_t keep_sequence);

}  // namespace keepdb::storage
