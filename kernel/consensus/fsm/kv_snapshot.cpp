// Key-value snapshot data: the descriptor; the image, encoded by scanning the store and
// restored by replacing it.
#include "kernel/consensus/fsm/kv_snapshot.h"

#include <string>

#include "util/byte_codec.h"

namespace keepdb::consensus {
namespace {

constexpr std::uint8_t kVersionWithoutClock = 1;
constexpr std::uint8_t kVersion = 2;
constexpr std::uint8_t kDescriptorVersion = 3;
constexpr std::size_t kCountOffset = 17;

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

struct Header {
  KvSnapshotHeader fields;
  std::uint64_t count = 0;  // images only
};

std::optional<Header> read_header(util::ByteReader& reader) {
  std::uint8_t version = 0;
  Header header;
  KvSnapshotHeader& fields = header.fields;
  if (!reader.get_u8(version) ||
      (version != kVersion && version != kVersionWithoutClock && version != kDescriptorVersion) ||
      !reader.get_u64(fields.applied_index) ||
      (version != kVersionWithoutClock && !reader.get_u64(fields.clock_ms))) {
    return std::nullopt;
  }
  fields.descriptor = version == kDescriptorVersion;
  if (fields.descriptor) {
    if (reader.remaining() != 0) return std::nullopt;
  } else if (!reader.get_u64(header.count)) {
    return std::nullopt;
  }
  return header;
}

}  // namespace

std::optional<KvSnapshotHeader> read_kv_snapshot_header(std::span<const std::uint8_t> data) {
  util::ByteReader reader(data);
  const auto header = read_header(reader);
  if (!header) return std::nullopt;
  return header->fields;
}

std::vector<std::uint8_t> encode_kv_descriptor(std::uint64_t applied_index,
                                               std::uint64_t clock_ms) {
  std::vector<std::uint8_t> descriptor;
  util::ByteWriter writer(descriptor);
  writer.put_u8(kDescriptorVersion);
  writer.put_u64(applied_index);
  writer.put_u64(clock_ms);
  return descriptor;
}

std::vector<std::uint8_t> encode_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn) {
  std::vector<std::uint8_t> image;
  util::ByteWriter writer(image);
  writer.put_u8(kVersion);
  writer.put_u64(kv.applied_index(txn));
  writer.put_u64(kv.clock_ms(txn));
  writer.put_u64(0);  // key count, patched below
  std::uint64_t count = 0;
  kv.scan(txn, "", [&](std::string_view key, const storage::ValueView& value) {
    writer.put_u32(static_cast<std::uint32_t>(key.size()));
    writer.put_bytes(key);
    writer.put_u64(value.expires_at_ms);
    writer.put_u32(static_cast<std::uint32_t>(value.payload.size()));
    writer.put_bytes(value.payload);
    ++count;
    return true;
  });
  writer.patch_u64(kCountOffset, count);
  return image;
}

bool restore_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn,
                         std::span<const std::uint8_t> image) {
  util::ByteReader reader(image);
  const auto header = read_header(reader);
  if (!header || header->fields.descriptor) return false;
  kv.clear(txn);
  for (std::uint64_t i = 0; i < header->count; ++i) {
    std::uint32_t key_length = 0;
    std::uint32_t payload_length = 0;
    std::uint64_t expires_at_ms = 0;
    std::span<const std::uint8_t> key;
    std::span<const std::uint8_t> payload;
    if (!reader.get_u32(key_length) || !reader.get_bytes(key_length, key) ||
        !reader.get_u64(expires_at_ms) || !reader.get_u32(payload_length) ||
        !reader.get_bytes(payload_length, payload) || key.empty()) {
      return false;
    }
    kv.put(txn, as_text(key), as_text(payload), expires_at_ms);
  }
  if (reader.remaining() != 0) return false;
  kv.set_applied_index(txn, header->fields.applied_index);
  kv.set_clock_ms(txn, header->fields.clock_ms);
  return true;
}

}  // namespace keepdb::consensus
