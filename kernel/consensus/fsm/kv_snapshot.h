// What the key-value state machine puts in a raft snapshot's data, in two shapes:
//
// The descriptor (version 3), what a snapshot taken for log compaction holds: the state
// itself stays in the LMDB file, durable up to the descriptor's applied index (kv_fsm.h).
//   u8 version (3) | u64 applied index | u64 clock (Unix ms)
//
// The image (versions 1, 2 and 4): the whole key-value store, every database, tagged with the applied index and
// the state machine clock of the state it captures. A leader streams one to a follower that
// needs its state (KvImageStream, read in pieces from one read transaction off the network
// thread); the follower writes it to a file and restores from that file
// (restore_kv_image_file) without holding it in memory. Data directories written before
// descriptors hold one as their raft snapshot. Little-endian:
//   u8 version (4) | u64 applied index | u64 clock (Unix ms) | u64 key count |
//   per key, database by database, in key order: u8 database, u32 key length, key (may be
//                          empty), u64 expiry (Unix ms, 0 = none), u32 payload length, payload
// Version 2 images (no database byte, from before databases existed) restore into
// database 0; version 1 images (no clock either, from before expiry existed) with clock 0.
//
// Thread-safety: pure functions over the caller's transactions; a KvImageStream is used by
// one thread at a time (any thread: the environment is opened with MDB_NOTLS).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/kv_store.h"

namespace keepdb::consensus {

struct KvSnapshotHeader {
  bool descriptor = false;  // true: names the state in LMDB; false: an image carrying it
  std::uint64_t applied_index = 0;
  std::uint64_t clock_ms = 0;
};

// The header of a descriptor or an image; nullopt when malformed (a descriptor must be
// exactly its 17 bytes).
std::optional<KvSnapshotHeader> read_kv_snapshot_header(std::span<const std::uint8_t> data);

std::vector<std::uint8_t> encode_kv_descriptor(std::uint64_t applied_index, std::uint64_t clock_ms);

// Serializes every key of `kv` as seen by `txn` (expired ones too: whether they are expired
// is decided by the clock, which travels with them), tagged with the applied index and clock
// stored in that same transaction.
std::vector<std::uint8_t> encode_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn);

// The image of `kv` in one read transaction, produced in pieces so that only a piece (and
// at most one record beyond it) is in memory at a time. Holds the transaction (and so keeps
// LMDB from reusing the pages it sees) until destroyed.
class KvImageStream {
 public:
  // Begins the read transaction; throws storage::StorageError.
  explicit KvImageStream(const storage::KvStore& kv);
  KvImageStream(const KvImageStream&) = delete;
  KvImageStream& operator=(const KvImageStream&) = delete;

  // The applied index of the state the image captures.
  std::uint64_t applied_index() const { return applied_index_; }
  // Replaces `out` by the next up to `max_bytes` (> 0) bytes of the image; false (and `out`
  // empty) once all of it was returned. Throws storage::StorageError.
  bool next(std::size_t max_bytes, std::vector<std::uint8_t>& out);

 private:
  const storage::KvStore& kv_;
  storage::ReadTxn txn_;
  std::uint64_t applied_index_ = 0;
  std::vector<std::uint8_t> pending_;  // encoded, not yet returned
  std::optional<std::string> resume_;  // the next key to encode; nullopt when all are
};

// The header of the image file at `path`; nullopt when it is missing or not an image.
std::optional<KvSnapshotHeader> read_kv_image_file_header(const std::filesystem::path& path);

// As restore_kv_snapshot, reading the image from the file at `path` piece by piece. False
// when the file is unreadable or malformed (the transaction must then be aborted).
bool restore_kv_image_file(const storage::KvStore& kv, MDB_txn* txn,
                           const std::filesystem::path& path);

// Replaces the whole keyspace with `image` inside the caller's write transaction and
// stores its applied index and clock. False (having written part of it: abort the
// transaction) when the image is malformed or is a descriptor.
bool restore_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn,
                         std::span<const std::uint8_t> image);

}  // namespace keepdb::consensus
