// The binary peer protocol's frames: one frame per raft message (the six types of guide §4),
// a HANDSHAKE frame opening every connection, and FORWARD / FORWARD_REPLY frames carrying
// client traffic between nodes (their body is opaque here; forward_codec.h defines it).
//
//   header (10 bytes): u8 magic/version (kFrameMagicVersion), u8 FrameType, u64 body length
//   raft message body: u64 sender id, u16 sender address length, address, then the fields
//   handshake body:    u16 cluster id length, cluster id, u64 node id
// All integers are little-endian. AppendEntries carries u64 entry count, per entry {u64 term,
// u8 type, u64 payload length}, then the payloads back to back; InstallSnapshot carries the
// configuration (configuration_codec.h) and u64 data length + data. RAFT_CHANGE payloads are
// carried as opaque bytes.
//
// Decoding is strict and total: every length is checked against the remaining bytes and the
// configured maximum, booleans are 0 or 1, types and roles are known, no byte is left over.
// Any malformed input gives RAFT_MALFORMED (RAFT_TOOBIG for an oversized body), never UB.
// Decoded payloads follow guide §3.3: one raft_malloc'd block per AppendEntries shared by
// every entry's batch, and a configuration rebuilt with raft_configuration_add.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/consensus/io_status.h"
#include "kernel/consensus/owned_message.h"
#include "kernel/consensus/raft_c_api.h"

namespace keepdb::consensus {

inline constexpr std::uint8_t kFrameMagicVersion = 0xB1;  // protocol version 1
inline constexpr std::size_t kFrameHeaderBytes = 10;
inline constexpr std::size_t kMaxClusterIdBytes = 255;

enum class FrameType : std::uint8_t {
  kAppendEntries = RAFT_IO_APPEND_ENTRIES,
  kAppendEntriesResult = RAFT_IO_APPEND_ENTRIES_RESULT,
  kRequestVote = RAFT_IO_REQUEST_VOTE,
  kRequestVoteResult = RAFT_IO_REQUEST_VOTE_RESULT,
  kInstallSnapshot = RAFT_IO_INSTALL_SNAPSHOT,
  kTimeoutNow = RAFT_IO_TIMEOUT_NOW,
  kHandshake = 0x10,
  kForward = 0x11,       // follower -> leader: a client request to run there
  kForwardReply = 0x12,  // leader -> follower: its outcome
};

// True for the frame types whose body is opaque to this codec (kForward, kForwardReply).
bool is_forward_frame(FrameType type);

struct FrameLimits {
  std::uint64_t max_body_bytes = 256ull << 20;  // a snapshot travels in one frame
};

struct FrameHeader {
  FrameType type = FrameType::kHandshake;
  std::uint64_t body_bytes = 0;
};

struct Handshake {
  std::string cluster_id;  // 1..kMaxClusterIdBytes bytes
  raft_id node_id = 0;     // non-zero
};

// Encodes `message` as sent by (sender_id, sender_address) into `frame` (replacing its
// contents). RAFT_INVALID for an unknown type or bad address, RAFT_TOOBIG above the limit.
IoStatus encode_message_frame(raft_id sender_id, std::string_view sender_address,
                              const raft_message& message, const FrameLimits& limits,
                              std::vector<std::uint8_t>& frame);
IoStatus encode_handshake_frame(const Handshake& handshake, std::vector<std::uint8_t>& frame);
// Frames `body` as a forward frame of `type`. RAFT_INVALID for a non-forward type,
// RAFT_TOOBIG above the limit.
IoStatus encode_forward_frame(FrameType type, std::span<const std::uint8_t> body,
                              const FrameLimits& limits, std::vector<std::uint8_t>& frame);

// Parses the first kFrameHeaderBytes of `bytes` (a stream reader calls this before reading
// the body, so a huge declared length is refused before any allocation).
IoStatus decode_frame_header(std::span<const std::uint8_t> bytes, const FrameLimits& limits,
                             FrameHeader& header);
// Decodes the body of a raft message frame of type `type` into `out` (a fresh OwnedMessage).
IoStatus decode_message_body(FrameType type, std::span<const std::uint8_t> body, OwnedMessage& out);
IoStatus decode_handshake_body(std::span<const std::uint8_t> body, Handshake& out);

// Whole-frame helpers: header plus a body of exactly the declared length.
IoStatus decode_message_frame(std::span<const std::uint8_t> frame, const FrameLimits& limits,
                              OwnedMessage& out);
IoStatus decode_handshake_frame(std::span<const std::uint8_t> frame, const FrameLimits& limits,
                                Handshake& out);

}  // namespace keepdb::consensus
