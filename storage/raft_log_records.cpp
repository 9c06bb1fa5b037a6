// Encoding and strict decoding of the Raft log environment's records.
#include "storage/raft_log_records.h"

#include <cstring>
#include <string>

#include "util/byte_codec.h"

namespace keepdb::storage {
namespace {

constexpr std::uint8_t kRecordVersion = 1;

util::IoStatus corrupt(const std::string& what) {
  return util::IoStatus::failure(RAFT_CORRUPT, "corrupt raft log record: " + what);
}

}  // namespace

EntryKey entry_key(raft_index index) {
  EntryKey key;
  for (int i = 0; i < 8; ++i) key[i] = static_cast<std::uint8_t>(index >> (8 * (7 - i)));
  return key;
}

util::IoStatus parse_entry_key(std::span<const std::uint8_t> key, raft_index& index) {
  if (key.size() != 8) return corrupt("entry key of " + std::to_string(key.size()) + " bytes");
  index = 0;
  for (std::uint8_t byte : key) index = (index << 8) | byte;
  return util::IoStatus::success();
}

void write_entry_record(const raft_entry& entry, std::span<std::uint8_t> out) {
  out[0] = kRecordVersion;
  out[1] = static_cast<std::uint8_t>(entry.type);
  util::store_u64_le(out.data() + 2, entry.term);
  if (entry.buf.len > 0) {
    std::memcpy(out.data() + kEntryRecordHeaderBytes, entry.buf.base, entry.buf.len);
  }
}

util::IoStatus read_entry_record(std::span<const std::uint8_t> record, EntryRecord& out) {
  util::ByteReader reader(record);
  std::uint8_t version = 0;
  std::uint8_t type = 0;
  if (!reader.get_u8(version) || !reader.get_u8(type) || !reader.get_u64(out.term)) {
    return corrupt("short entry record");
  }
  if (version != kRecordVersion) return corrupt("unknown entry record version");
  out.type = type;
  out.payload = record.subspan(kEntryRecordHeaderBytes);
  return util::IoStatus::success();
}

std::array<std::uint8_t, 8> encode_u64_record(std::uint64_t value) {
  std::array<std::uint8_t, 8> record;
  util::store_u64_le(record.data(), value);
  return record;
}

util::IoStatus decode_u64_record(std::span<const std::uint8_t> record, std::uint64_t& value) {
  util::ByteReader reader(record);
  if (!reader.get_u64(value) || reader.remaining() != 0) return corrupt("bad u64 record");
  return util::IoStatus::success();
}

std::vector<std::uint8_t> encode_snapshot_meta(const SnapshotMeta& meta) {
  std::vector<std::uint8_t> record;
  util::ByteWriter writer(record);
  writer.put_u8(kRecordVersion);
  writer.put_u64(meta.index);
  writer.put_u64(meta.term);
  writer.put_u64(meta.configuration_index);
  writer.put_u64(meta.file_sequence);
  writer.put_u64(meta.data_bytes);
  writer.put_u32(meta.data_crc32);
  writer.put_bytes(meta.configuration);
  return record;
}

util::IoStatus decode_snapshot_meta(std::span<const std::uint8_t> record, SnapshotMeta& out) {
  util::ByteReader reader(record);
  std::uint8_t version = 0;
  if (!reader.get_u8(version) || !reader.get_u64(out.index) || !reader.get_u64(out.term) ||
      !reader.get_u64(out.configuration_index) || !reader.get_u64(out.file_sequence) ||
      !reader.get_u64(out.data_bytes) || !reader.get_u32(out.data_crc32)) {
    return corrupt("short snapshot metadata");
  }
  if (version != kRecordVersion) return corrupt("unknown snapshot metadata version");
  std::span<const std::uint8_t> configuration;
  reader.get_bytes(reader.remaining(), configuration);
  out.configuration.assign(configuration.begin(), configuration.end());
  return util::IoStatus::success();
}

std::vector<std::uint8_t> encode_log_meta(const LogMeta& meta) {
  std::vector<std::uint8_t> record;
  util::ByteWriter writer(record);
  writer.put_u8(kRecordVersion);
  writer.put_u64(meta.generation);
  writer.put_u64(meta.first_live_index);
  return record;
}

util::IoStatus decode_log_meta(std::span<const std::uint8_t> record, LogMeta& out) {
  util::ByteReader reader(record);
  std::uint8_t version = 0;
  if (!reader.get_u8(version) || !reader.get_u64(out.generation) ||
      !reader.get_u64(out.first_live_index) || reader.remaining() != 0) {
    return corrupt("bad log metadata");
  }
  if (version != kRecordVersion) return corrupt("unknown log metadata version");
  return util::IoStatus::success();
}

}  // namespace keepdb::storage
