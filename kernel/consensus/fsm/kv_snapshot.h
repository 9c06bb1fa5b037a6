// What the key-value state machine puts in a raft snapshot's data, in two shapes:
//
// The descriptor (version 3), what a snapshot taken for log compaction holds: the state
// itself stays in the LMDB file, durable up to the descriptor's applied index (kv_fsm.h).
//   u8 version (3) | u64 applied index | u64 clock (Unix ms)
//
// The image (versions 1 and 2): the whole key-value store as one buffer, tagged with the
// applied index and the state machine clock of the state it captures. A leader sends one to
// a follower that needs its state (built on demand, off the network thread), and data
// directories written before descriptors hold one. Little-endian:
//   u8 version (2) | u64 applied index | u64 clock (Unix ms) | u64 key count |
//   per key, in key order: u32 key length, key, u64 expiry (Unix ms, 0 = none),
//                          u32 payload length, payload
// Version 1 images (no clock, from before expiry existed) still restore, with clock 0.
//
// Thread-safety: pure functions over the caller's transactions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
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

// Replaces the whole keyspace with `image` inside the caller's write transaction and
// stores its applied index and clock. False (having written part of it: abort the
// transaction) when the image is malformed or is a descriptor.
bool restore_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn,
                         std::span<const std::uint8_t> image);

}  // namespace keepdb::consensus
