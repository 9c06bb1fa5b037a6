// The state machine's snapshot image: the whole key-value store as one buffer (libraft
// sends and restores a snapshot as a single buffer, so it must fit in memory), tagged with
// the applied index and the state machine clock of the state it captures. Little-endian:
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

// Serializes every key of `kv` as seen by `txn` (expired ones too: whether they are expired
// is decided by the clock, which travels with them), tagged with `applied_index`.
std::vector<std::uint8_t> encode_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn,
                                             std::uint64_t applied_index);

// The applied index an image captures; nullopt when its header is malformed.
std::optional<std::uint64_t> kv_snapshot_index(std::span<const std::uint8_t> image);

// Replaces the whole keyspace with `image` inside the caller's write transaction and
// stores its applied index and clock. False (having written part of it: abort the transaction) when
// the image is malformed.
bool restore_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn,
                         std::span<const std::uint8_t> image);

}  // namespace keepdb::consensus
