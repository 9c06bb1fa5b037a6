// Snapshot chunk and ack bodies: encoding and strict decoding (layout in the header).
#include "kernel/consensus/peer/snapshot_frames.h"

#include <algorithm>
#include <string>

#include "kernel/consensus/peer/peer_codec.h"
#include "util/byte_codec.h"

namespace keepdb::consensus {
namespace {

constexpr std::uint8_t kLastChunk = 1;

util::IoStatus malformed(const std::string& what) {
  return util::IoStatus::failure(RAFT_MALFORMED, "malformed snapshot frame: " + what);
}

}  // namespace

void encode_snapshot_chunk(const SnapshotChunk& chunk, std::vector<std::uint8_t>& body) {
  body.clear();
  util::ByteWriter writer(body);
  writer.put_u64(chunk.transfer);
  writer.put_u64(chunk.offset);
  writer.put_u8(chunk.last ? kLastChunk : 0);
  if (chunk.last) writer.put_bytes(chunk.digest);
  writer.put_bytes(chunk.data);
}

void encode_snapshot_ack(const SnapshotAck& ack, std::vector<std::uint8_t>& body) {
  body.clear();
  util::ByteWriter writer(body);
  writer.put_u64(ack.transfer);
  writer.put_u64(ack.offset);
  writer.put_u8(static_cast<std::uint8_t>(ack.status));
}

util::IoStatus decode_snapshot_chunk(std::span<const std::uint8_t> body, SnapshotChunk& out) {
  util::ByteReader reader(body);
  std::uint8_t flags = 0;
  if (!reader.get_u64(out.transfer) || !reader.get_u64(out.offset) || !reader.get_u8(flags)) {
    return malformed("truncated chunk");
  }
  if (out.transfer == 0) return malformed("zero transfer id");
  if ((flags & ~kLastChunk) != 0) return malformed("unknown chunk flags");
  out.last = (flags & kLastChunk) != 0;
  if (out.last) {
    std::span<const std::uint8_t> digest;
    if (!reader.get_bytes(kSnapshotDigestBytes, digest)) return malformed("truncated digest");
    std::copy(digest.begin(), digest.end(), out.digest.begin());
  }
  const std::size_t size = reader.remaining();
  if (size > kMaxSnapshotChunkBytes) return malformed("chunk data above the limit");
  if (size == 0 && !out.last) return malformed("empty chunk");
  if (out.offset + size < out.offset) return malformed("chunk offset overflows");
  reader.get_bytes(size, out.data);
  return util::IoStatus::success();
}

util::IoStatus decode_snapshot_ack(std::span<const std::uint8_t> body, SnapshotAck& out) {
  util::ByteReader reader(body);
  std::uint8_t status = 0;
  if (!reader.get_u64(out.transfer) || !reader.get_u64(out.offset) || !reader.get_u8(status)) {
    return malformed("truncated ack");
  }
  if (reader.remaining() != 0) return malformed("trailing bytes in an ack");
  if (out.transfer == 0) return malformed("zero transfer id");
  if (status > static_cast<std::uint8_t>(SnapshotAckStatus::kRestart)) {
    return malformed("unknown ack status");
  }
  out.status = static_cast<SnapshotAckStatus>(status);
  return util::IoStatus::success();
}

}  // namespace keepdb::consensus
