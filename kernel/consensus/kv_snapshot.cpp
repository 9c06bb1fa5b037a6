// Key-value snapshot image: encode by scanning the store, restore by replacing it.
#include "kernel/consensus/kv_snapshot.h"

#include <string>

#include "kernel/consensus/byte_codec.h"

namespace keepdb::consensus {
namespace {

constexpr std::uint8_t kVersion = 1;

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool read_header(ByteReader& reader, std::uint64_t& applied_index, std::uint64_t& count) {
  std::uint8_t version = 0;
  return reader.get_u8(version) && version == kVersion && reader.get_u64(applied_index) &&
         reader.get_u64(count);
}

}  // namespace

std::vector<std::uint8_t> encode_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn,
                                             std::uint64_t applied_index) {
  std::vector<std::uint8_t> image;
  ByteWriter writer(image);
  writer.put_u8(kVersion);
  writer.put_u64(applied_index);
  writer.put_u64(0);  // key count, patched below
  std::uint64_t count = 0;
  kv.scan(txn, "", [&](std::string_view key) {
    const auto value = kv.get(txn, key);
    writer.put_u32(static_cast<std::uint32_t>(key.size()));
    writer.put_bytes(key);
    writer.put_u64(value->expires_at_ms);
    writer.put_u32(static_cast<std::uint32_t>(value->payload.size()));
    writer.put_bytes(value->payload);
    ++count;
    return true;
  });
  writer.patch_u64(9, count);
  return image;
}

std::optional<std::uint64_t> kv_snapshot_index(std::span<const std::uint8_t> image) {
  ByteReader reader(image);
  std::uint64_t applied_index = 0;
  std::uint64_t count = 0;
  if (!read_header(reader, applied_index, count)) return std::nullopt;
  return applied_index;
}

bool restore_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn,
                         std::span<const std::uint8_t> image) {
  ByteReader reader(image);
  std::uint64_t applied_index = 0;
  std::uint64_t count = 0;
  if (!read_header(reader, applied_index, count)) return false;
  kv.clear(txn);
  for (std::uint64_t i = 0; i < count; ++i) {
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
  kv.set_applied_index(txn, applied_index);
  return true;
}

}  // namespace keepdb::consensus
