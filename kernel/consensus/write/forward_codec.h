// The bodies of FORWARD and FORWARD_REPLY peer frames (peer_codec.h): client traffic a
// follower hands to the leader. All integers little-endian.
//
//   request: u64 request id, u8 kind, payload
//     kWrite:     payload = u32 caller count, per caller {u16 principal length, principal,
//                 u32 roles}, then an op batch (commands/op_batch.h) with one op per caller
//     kReadIndex: no payload; the leader answers once a barrier confirms its leadership
// Request ids are random (OpenSSL), so a reply cannot be forged by guessing the next one.
//   reply:   u64 request id, u8 outcome (0 ok, 1 error), payload
//     ok + kWrite:     u32 count, then per reply {u8 kind, i64 integer, u32 length, text}
//     ok + kReadIndex: u64 log index every acknowledged write is at or below
//     error:           the error line to give the client ("TRYAGAIN no leader")
//
// Decoding is total: malformed input gives nullopt, never a read out of bounds.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kernel/commands/caller.h"
#include "kernel/commands/reply.h"

namespace keepdb::consensus {

enum class ForwardKind : std::uint8_t { kWrite = 1, kReadIndex = 2 };

struct ForwardRequest {
  std::uint64_t id = 0;
  ForwardKind kind = ForwardKind::kWrite;
  std::vector<commands::Caller> callers;  // kWrite only: who sent each op of the batch
  std::string batch;                      // kWrite only
};

struct ForwardReply {
  std::uint64_t id = 0;
  // An error line, the write's replies, or the read index.
  std::variant<std::string, std::vector<commands::Reply>, std::uint64_t> outcome;
};

std::vector<std::uint8_t> encode_forward_request(const ForwardRequest& request);
std::optional<ForwardRequest> decode_forward_request(std::span<const std::uint8_t> body);

std::vector<std::uint8_t> encode_forward_reply(const ForwardReply& reply);
// `kind` is the kind of the request this answers (the reply does not repeat it).
std::optional<ForwardReply> decode_forward_reply(std::span<const std::uint8_t> body,
                                                 ForwardKind kind);
// The request id of a reply, to find the request it answers; nullopt when truncated.
std::optional<std::uint64_t> forward_reply_id(std::span<const std::uint8_t> body);

}  // namespace keepdb::consensus
