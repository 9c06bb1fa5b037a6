// Encoding and decoding of write-command batches.
#include "kernel/commands/op_batch.h"

#include <algorithm>

#include "storage/kv_store.h"

namespace keepdb::commands {
namespace {

constexpr char kVersionWithoutTime = 1;
constexpr char kVersionWithoutDatabase = 2;
constexpr char kVersionWithoutValueLimit = 3;
constexpr char kVersion = kOpBatchVersion;
constexpr std::size_t kHeaderBytes = 23;
constexpr std::size_t kHeaderBytesWithoutValueLimit = 15;
constexpr std::size_t kHeaderBytesWithoutDatabase = 13;
constexpr std::size_t kHeaderBytesWithoutTime = 5;
constexpr std::size_t kDatabasesOffset = 9;
constexpr std::size_t kValueLimitOffset = 11;
constexpr std::size_t kMinOpBytes = 8;  // argc and at least one argument length
// The most a builder keeps reserved between batches (take()).
constexpr std::size_t kReservedBatchBytes = 1 << 20;

void put_u32(std::string& out, std::uint32_t v) {
  const char bytes[4] = {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
                         static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 24) & 0xff)};
  out.append(bytes, 4);
}

std::uint32_t get_u32(const char* p) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(p[0])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(p[1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(p[2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(p[3])) << 24;
}

std::uint64_t get_u64(const char* p) {
  return static_cast<std::uint64_t>(get_u32(p)) | static_cast<std::uint64_t>(get_u32(p + 4)) << 32;
}

unsigned get_u16(const char* p) {
  return static_cast<unsigned>(static_cast<unsigned char>(p[0])) |
         static_cast<unsigned>(static_cast<unsigned char>(p[1])) << 8;
}

}  // namespace

OpBatchBuilder::OpBatchBuilder(unsigned databases, std::uint64_t max_value_bytes)
    : databases_(databases), max_value_bytes_(max_value_bytes) {
  buffer_.assign(kHeaderBytes, '\0');
}

void OpBatchBuilder::add(std::span<const std::string_view> args, std::uint8_t db) {
  buffer_.push_back(static_cast<char>(db));
  put_u32(buffer_, static_cast<std::uint32_t>(args.size()));
  for (std::string_view arg : args) {
    put_u32(buffer_, static_cast<std::uint32_t>(arg.size()));
    buffer_.append(arg);
  }
  ++count_;
}

std::string OpBatchBuilder::take(std::uint64_t time_ms) {
  buffer_[0] = kVersion;
  for (int i = 0; i < 8; ++i) buffer_[1 + i] = static_cast<char>((time_ms >> (8 * i)) & 0xff);
  buffer_[kDatabasesOffset] = static_cast<char>(databases_ & 0xff);
  buffer_[kDatabasesOffset + 1] = static_cast<char>((databases_ >> 8) & 0xff);
  for (int i = 0; i < 8; ++i) {
    buffer_[kValueLimitOffset + i] = static_cast<char>((max_value_bytes_ >> (8 * i)) & 0xff);
  }
  for (int i = 0; i < 4; ++i) {
    buffer_[kHeaderBytes - 4 + i] = static_cast<char>((count_ >> (8 * i)) & 0xff);
  }
  std::string batch = std::move(buffer_);
  // The next batch is likely about as large: room for it now spares the doublings (each a
  // copy of what the batch holds so far) as it grows, up to kReservedBatchBytes.
  buffer_.reserve(std::min(batch.size(), kReservedBatchBytes));
  buffer_.assign(kHeaderBytes, '\0');
  count_ = 0;
  return batch;
}

// 0 for an unknown version.
std::size_t OpBatchReader::header_bytes() const {
  if (batch_.empty()) return 0;
  if (batch_[0] == kVersion) return kHeaderBytes;
  if (batch_[0] == kVersionWithoutValueLimit) return kHeaderBytesWithoutValueLimit;
  if (batch_[0] == kVersionWithoutDatabase) return kHeaderBytesWithoutDatabase;
  if (batch_[0] == kVersionWithoutTime) return kHeaderBytesWithoutTime;
  return 0;
}

std::optional<std::uint32_t> OpBatchReader::count() const {
  const std::size_t header = header_bytes();
  if (header == 0 || batch_.size() < header) return std::nullopt;
  if (header >= kHeaderBytesWithoutValueLimit) {
    const unsigned databases = get_u16(batch_.data() + kDatabasesOffset);
    if (databases == 0 || databases > storage::kMaxDatabases) return std::nullopt;
  }
  if (header == kHeaderBytes && get_u64(batch_.data() + kValueLimitOffset) == 0) {
    return std::nullopt;
  }
  const std::uint32_t declared = get_u32(batch_.data() + header - 4);
  // More ops than the bytes can hold: the header itself is damaged (and callers size
  // reply vectors from it).
  if (declared > (batch_.size() - header) / kMinOpBytes) return std::nullopt;
  return declared;
}

std::uint64_t OpBatchReader::time_ms() const {
  return header_bytes() >= kHeaderBytesWithoutDatabase && batch_.size() >= header_bytes()
             ? get_u64(batch_.data() + 1)
             : 0;
}

unsigned OpBatchReader::databases() const {
  return header_bytes() >= kHeaderBytesWithoutValueLimit && batch_.size() >= header_bytes()
             ? get_u16(batch_.data() + kDatabasesOffset)
             : 1;
}

std::optional<std::uint64_t> OpBatchReader::max_value_bytes() const {
  if (header_bytes() != kHeaderBytes || batch_.size() < kHeaderBytes) return std::nullopt;
  return get_u64(batch_.data() + kValueLimitOffset);
}

bool OpBatchReader::read_u32(std::uint32_t& value) {
  if (batch_.size() - pos_ < 4) return false;
  value = get_u32(batch_.data() + pos_);
  pos_ += 4;
  return true;
}

bool OpBatchReader::next(std::vector<std::string_view>& args) {
  args.clear();
  if (!started_) {
    started_ = true;
    const auto declared = count();
    if (!declared) {
      malformed_ = true;
      return false;
    }
    remaining_ = *declared;
    pos_ = header_bytes();
    if (remaining_ == 0 && pos_ != batch_.size()) malformed_ = true;
  }
  if (malformed_ || remaining_ == 0) return false;
  if (batch_[0] >= kVersionWithoutValueLimit) {
    if (pos_ == batch_.size()) {
      malformed_ = true;
      return false;
    }
    db_ = static_cast<std::uint8_t>(batch_[pos_++]);
  }
  std::uint32_t argc = 0;
  if (!read_u32(argc) || argc == 0 || argc > (batch_.size() - pos_) / 4) {
    malformed_ = true;
    return false;
  }
  for (std::uint32_t i = 0; i < argc; ++i) {
    std::uint32_t length = 0;
    if (!read_u32(length) || length > batch_.size() - pos_) {
      malformed_ = true;
      return false;
    }
    args.push_back(batch_.substr(pos_, length));
    pos_ += length;
  }
  --remaining_;
  if (remaining_ == 0 && pos_ != batch_.size()) malformed_ = true;
  return true;
}

}  // namespace keepdb::commands
