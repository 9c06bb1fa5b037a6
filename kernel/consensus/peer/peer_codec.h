// The binary peer protocol's frames: one frame per raft message (libraft's six message types),
// the three handshake frames that open every connection (peer_auth.h), FORWARD /
// FORWARD_REPLY frames carrying client traffic between nodes (their body is opaque here;
// forward_codec.h defines it), and SNAPSHOT_CHUNK / SNAPSHOT_ACK frames streaming a
// leader's state to a follower (snapshot_frames.h defines their body).
//
//   header (10 bytes): u8 magic/version (kFrameMagicVersion), u8 FrameType, u64 body length
//   raft message body: u64 sender id, then the fields
//   HELLO body:        u16 cluster id length, cluster id, u64 dialer id, u64 acceptor id,
//                      32-byte dialer nonce
//   CHALLENGE body:    32-byte acceptor nonce, 32-byte acceptor proof
//   PROOF body:        32-byte dialer proof
// All integers are little-endian. AppendEntries carries u64 entry count, per entry {u64 term,
// u8 type, u64 payload length}, then the payloads back to back; InstallSnapshot carries the
// configuration (configuration_codec.h) and u64 data length + data. RAFT_CHANGE payloads are
// carried as opaque bytes. A frame carries no sender address: the receiver takes the
// sender's address from the cluster configuration, never from the wire.
//
// Sizes are bounded per frame type (max_body_bytes): handshake frames, the fixed-size raft
// messages and snapshot acks are small; an InstallSnapshot carries only a descriptor and the
// configuration (kInstallSnapshotBodyBytes), a snapshot chunk at most kMaxSnapshotChunkBytes
// of data; AppendEntries and forward frames carry client data up to the configured limit.
// Decoding is strict and total: every length is checked against the remaining bytes and the
// limit, booleans are 0 or 1, types and roles are known, terms are at most kMaxTerm, no byte
// is left over. Any malformed input gives RAFT_MALFORMED (RAFT_TOOBIG for an oversized body),
// never UB. Decoded payloads follow libraft's ownership rules: one raft_malloc'd block per AppendEntries
// shared by every entry's batch, and a configuration rebuilt with raft_configuration_add.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/io_status.h"
#include "kernel/consensus/peer/owned_message.h"
#include "kernel/consensus/peer/peer_auth.h"
#include "util/raft_c_api.h"

namespace keepdb::consensus {

inline constexpr std::uint8_t kFrameMagicVersion = 0xB2;  // protocol version 2
inline constexpr std::size_t kFrameHeaderBytes = 10;
inline constexpr std::size_t kMaxClusterIdBytes = 255;
// The largest body of a handshake frame or of a fixed-size raft message.
inline constexpr std::uint64_t kSmallFrameBodyBytes = 512;
// The largest InstallSnapshot body: the state travels in snapshot chunks, never in it.
inline constexpr std::uint64_t kInstallSnapshotBodyBytes = 1u << 20;
// The most state bytes one snapshot chunk carries, and its largest body (with its fields).
inline constexpr std::uint64_t kMaxSnapshotChunkBytes = 1u << 20;
inline constexpr std::uint64_t kSnapshotChunkBodyBytes = kMaxSnapshotChunkBytes + 64;
// Terms above this are refused: no real cluster gets near it, and a peer that sends one
// would otherwise push every server to a term that overflows at its next election.
inline constexpr raft_term kMaxTerm = (raft_term{1} << 62);

enum class FrameType : std::uint8_t {
  kAppendEntries = RAFT_IO_APPEND_ENTRIES,
  kAppendEntriesResult = RAFT_IO_APPEND_ENTRIES_RESULT,
  kRequestVote = RAFT_IO_REQUEST_VOTE,
  kRequestVoteResult = RAFT_IO_REQUEST_VOTE_RESULT,
  kInstallSnapshot = RAFT_IO_INSTALL_SNAPSHOT,
  kTimeoutNow = RAFT_IO_TIMEOUT_NOW,
  kHello = 0x10,         // dialer -> acceptor: who calls whom, dialer nonce
  kForward = 0x11,       // follower -> leader: a client request to run there
  kForwardReply = 0x12,  // leader -> follower: its outcome
  kChallenge = 0x13,     // acceptor -> dialer: acceptor nonce and proof
  kProof = 0x14,         // dialer -> acceptor: dialer proof
  kSnapshotChunk = 0x15,  // leader -> follower: a piece of the state being installed
  kSnapshotAck = 0x16,    // follower -> leader: how much of it is written, or a refusal
};

// True for the frame types whose body is opaque to this codec (kForward, kForwardReply).
bool is_forward_frame(FrameType type);
// True for kSnapshotChunk and kSnapshotAck (snapshot_frames.h).
bool is_snapshot_frame(FrameType type);
// True for kHello, kChallenge and kProof.
bool is_handshake_frame(FrameType type);

struct FrameLimits {
  // The largest AppendEntries or forward frame body; InstallSnapshot and snapshot chunks
  // are bounded by their own constants (and by this), every other type by
  // kSmallFrameBodyBytes.
  std::uint64_t max_body_bytes = 256ull << 20;
};

// The largest body a frame of `type` may declare.
std::uint64_t max_body_bytes(FrameType type, const FrameLimits& limits);

struct FrameHeader {
  FrameType type = FrameType::kHello;
  std::uint64_t body_bytes = 0;
};

struct Hello {
  std::string cluster_id;  // 1..kMaxClusterIdBytes bytes
  raft_id dialer = 0;      // non-zero: who is calling
  raft_id acceptor = 0;    // non-zero: whom it means to reach
  Nonce nonce{};
};

struct Challenge {
  Nonce nonce{};
  Proof proof{};
};

// Encodes `message` as sent by `sender_id` into `frame` (replacing its contents).
// RAFT_INVALID for an unknown type or bad configuration address, RAFT_TOOBIG above the limit.
util::IoStatus encode_message_frame(raft_id sender_id, const raft_message& message,
                              const FrameLimits& limits, std::vector<std::uint8_t>& frame);
// RAFT_INVALID for an empty or oversized cluster id or a zero id.
util::IoStatus encode_hello_frame(const Hello& hello, std::vector<std::uint8_t>& frame);
void encode_challenge_frame(const Challenge& challenge, std::vector<std::uint8_t>& frame);
void encode_proof_frame(const Proof& proof, std::vector<std::uint8_t>& frame);
// Frames `body` as a frame of `type` whose body is opaque here: a forward or snapshot frame.
// RAFT_INVALID for another type, RAFT_TOOBIG above the limit.
util::IoStatus encode_forward_frame(FrameType type, std::span<const std::uint8_t> body,
                              const FrameLimits& limits, std::vector<std::uint8_t>& frame);

// Parses the first kFrameHeaderBytes of `bytes` (a stream reader calls this before reading
// the body, so a declared length above its type's limit is refused before any allocation).
util::IoStatus decode_frame_header(std::span<const std::uint8_t> bytes, const FrameLimits& limits,
                             FrameHeader& header);
// Decodes the body of a raft message frame of type `type` into `out` (a fresh OwnedMessage).
util::IoStatus decode_message_body(FrameType type, std::span<const std::uint8_t> body, OwnedMessage& out);
util::IoStatus decode_hello_body(std::span<const std::uint8_t> body, Hello& out);
util::IoStatus decode_challenge_body(std::span<const std::uint8_t> body, Challenge& out);
util::IoStatus decode_proof_body(std::span<const std::uint8_t> body, Proof& out);

// Whole-frame helpers: header plus a body of exactly the declared length.
util::IoStatus decode_message_frame(std::span<const std::uint8_t> frame, const FrameLimits& limits,
                              OwnedMessage& out);
util::IoStatus decode_hello_frame(std::span<const std::uint8_t> frame, Hello& out);

}  // namespace keepdb::consensus
