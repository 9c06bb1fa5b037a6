// libFuzzer target: everything a peer connection decodes from bytes it did not choose: the
// frame header, the three handshake bodies, every raft message body, the forward request
// and reply bodies, and the snapshot chunk and ack bodies. Decoding must stay in bounds,
// never leak, and give only RAFT_MALFORMED or RAFT_TOOBIG on bad input. The first input byte picks the body type, so
// the corpus reaches each decoder directly (0-4: handshake and forward bodies, 5-10: raft
// message types 1-6, 11-12: snapshot chunk and ack).
#include <cstdint>
#include <span>

#include "kernel/consensus/write/forward_codec.h"
#include "kernel/consensus/peer/peer_codec.h"
#include "kernel/consensus/peer/snapshot_frames.h"

using namespace keepdb::consensus;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  FrameHeader header;
  const keepdb::util::IoStatus header_status = decode_frame_header(input, FrameLimits{}, header);
  if (!header_status.ok() && header_status.code != RAFT_MALFORMED &&
      header_status.code != RAFT_TOOBIG) {
    __builtin_trap();
  }
  if (size == 0) return 0;
  const auto body = input.subspan(1);
  keepdb::util::IoStatus status;
  switch (data[0] % 13) {
    case 0: {
      Hello hello;
      status = decode_hello_body(body, hello);
      break;
    }
    case 1: {
      Challenge challenge;
      status = decode_challenge_body(body, challenge);
      break;
    }
    case 2: {
      Proof proof;
      status = decode_proof_body(body, proof);
      break;
    }
    case 3:
      (void)decode_forward_request(body);
      return 0;
    case 4:
      (void)decode_forward_reply(body, ForwardKind::kWrite);
      (void)decode_forward_reply(body, ForwardKind::kReadIndex);
      return 0;
    case 11: {
      SnapshotChunk chunk;
      status = decode_snapshot_chunk(body, chunk);
      if (status.ok() && chunk.data.size() > kMaxSnapshotChunkBytes) __builtin_trap();
      break;
    }
    case 12: {
      SnapshotAck ack;
      status = decode_snapshot_ack(body, ack);
      break;
    }
    default: {
      // Raft message types 1..6; the OwnedMessage frees whatever a decode allocated.
      OwnedMessage message;
      status = decode_message_body(static_cast<FrameType>(data[0] % 13 - 4), body, message);
      break;
    }
  }
  if (!status.ok() && status.code != RAFT_MALFORMED && status.code != RAFT_TOOBIG &&
      status.code != RAFT_NOMEM) {
    __builtin_trap();
  }
  return 0;
}
