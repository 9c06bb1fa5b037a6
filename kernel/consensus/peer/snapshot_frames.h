// The bodies of the two frames that stream a leader's state to a follower that needs a
// snapshot (the transfer itself is kernel/consensus/raft/snapshot_transfer.h):
//
//   SNAPSHOT_CHUNK (leader -> follower):
//     u64 transfer id | u64 offset of `data` in the stream | u8 flags (bit 0: last chunk) |
//     [last chunk only: 32-byte SHA-256 of the whole stream] | data (the rest of the body,
//     at most kMaxSnapshotChunkBytes; empty only in a last chunk)
//   SNAPSHOT_ACK (follower -> leader):
//     u64 transfer id | u64 bytes of the stream written so far | u8 AckStatus
//
// Integers are little-endian. Decoding is strict: unknown flags or statuses, a zero transfer
// id, a chunk without data that is not the last, data above the limit and trailing bytes
// are all RAFT_MALFORMED.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "util/io_status.h"

namespace keepdb::consensus {

inline constexpr std::size_t kSnapshotDigestBytes = 32;
using SnapshotDigest = std::array<std::uint8_t, kSnapshotDigestBytes>;

struct SnapshotChunk {
  std::uint64_t transfer = 0;  // non-zero, chosen at random by the leader per transfer
  std::uint64_t offset = 0;
  bool last = false;
  SnapshotDigest digest{};  // last chunk only
  std::span<const std::uint8_t> data;  // points into the decoded body
};

enum class SnapshotAckStatus : std::uint8_t {
  kProgress = 0,  // `offset` bytes are written; send more
  kDone = 1,      // the whole stream is checked, durable and ready to install
  kRestart = 2,   // the follower dropped this transfer (gap, checksum, disk): start over
};

struct SnapshotAck {
  std::uint64_t transfer = 0;
  std::uint64_t offset = 0;
  SnapshotAckStatus status = SnapshotAckStatus::kProgress;
};

// Encoders replace `body`'s contents.
void encode_snapshot_chunk(const SnapshotChunk& chunk, std::vector<std::uint8_t>& body);
void encode_snapshot_ack(const SnapshotAck& ack, std::vector<std::uint8_t>& body);
util::IoStatus decode_snapshot_chunk(std::span<const std::uint8_t> body, SnapshotChunk& out);
util::IoStatus decode_snapshot_ack(std::span<const std::uint8_t> body, SnapshotAck& out);

}  // namespace keepdb::consensus
