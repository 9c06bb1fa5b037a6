// Key-value snapshot data: the descriptor; the image, encoded by scanning the store and
// restored by replacing it.
#include "kernel/consensus/fsm/kv_snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <string>

#include "util/byte_codec.h"
#include "util/posix_file.h"

namespace keepdb::consensus {
namespace {

constexpr std::uint8_t kVersionWithoutClock = 1;
constexpr std::uint8_t kVersionWithoutDatabases = 2;
constexpr std::uint8_t kDescriptorVersion = 3;
constexpr std::uint8_t kVersion = 4;
constexpr std::size_t kCountOffset = 17;

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

struct Header {
  KvSnapshotHeader fields;
  std::uint64_t count = 0;  // images only
  bool databases = false;   // records start with their database (version 4)
};

std::optional<Header> read_header(util::ByteReader& reader) {
  std::uint8_t version = 0;
  Header header;
  KvSnapshotHeader& fields = header.fields;
  if (!reader.get_u8(version) ||
      (version != kVersion && version != kVersionWithoutDatabases &&
       version != kVersionWithoutClock && version != kDescriptorVersion) ||
      !reader.get_u64(fields.applied_index) ||
      (version != kVersionWithoutClock && !reader.get_u64(fields.clock_ms))) {
    return std::nullopt;
  }
  fields.descriptor = version == kDescriptorVersion;
  header.databases = version == kVersion;
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

namespace {

void put_record(util::ByteWriter& writer, storage::Db db, std::string_view key,
                const storage::ValueView& value) {
  writer.put_u8(db);
  writer.put_u32(static_cast<std::uint32_t>(key.size()));
  writer.put_bytes(key);
  writer.put_u64(value.expires_at_ms);
  writer.put_u32(static_cast<std::uint32_t>(value.payload.size()));
  writer.put_bytes(value.payload);
}

void put_image_header(util::ByteWriter& writer, const storage::KvStore& kv, MDB_txn* txn,
                      std::uint64_t count) {
  writer.put_u8(kVersion);
  writer.put_u64(kv.applied_index(txn));
  writer.put_u64(kv.clock_ms(txn));
  writer.put_u64(count);
}

// Where an image's records are read from: `take` gives the next `count` bytes, valid until
// the next call; false when fewer remain.
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual bool take(std::size_t count, std::span<const std::uint8_t>& bytes) = 0;
  virtual bool at_end() const = 0;
};

class SpanSource final : public ImageSource {
 public:
  explicit SpanSource(util::ByteReader& reader) : reader_(reader) {}
  bool take(std::size_t count, std::span<const std::uint8_t>& bytes) override {
    return reader_.get_bytes(count, bytes);
  }
  bool at_end() const override { return reader_.remaining() == 0; }

 private:
  util::ByteReader& reader_;
};

// Reads a file through a buffer of kReadBytes (more only for a record larger than that).
class FileSource final : public ImageSource {
 public:
  static constexpr std::size_t kReadBytes = 1u << 20;

  FileSource(int fd, std::string path, std::uint64_t size, std::uint64_t offset)
      : fd_(fd), path_(std::move(path)), size_(size), offset_(offset) {}

  bool take(std::size_t count, std::span<const std::uint8_t>& bytes) override {
    const std::size_t have = buffer_.size() - position_;
    if (count > have && !refill(count - have)) return false;
    bytes = std::span<const std::uint8_t>(buffer_).subspan(position_, count);
    position_ += count;
    return true;
  }
  bool at_end() const override { return position_ == buffer_.size() && offset_ == size_; }

 private:
  // Keeps the unread bytes and reads at least `missing` more; false past the end of file
  // (so a length read from the file never allocates beyond the file's size).
  bool refill(std::size_t missing) {
    if (missing > size_ - offset_) return false;
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(position_));
    position_ = 0;
    const std::size_t wanted =
        static_cast<std::size_t>(std::min<std::uint64_t>(std::max(missing, kReadBytes), size_ - offset_));
    const std::size_t kept = buffer_.size();
    buffer_.resize(kept + wanted);
    std::size_t got = 0;
    if (!util::pread_all(fd_, buffer_.data() + kept, wanted, offset_, got, path_).ok() ||
        got != wanted) {
      return false;
    }
    offset_ += wanted;
    return true;
  }

  int fd_;
  std::string path_;
  std::uint64_t size_;
  std::uint64_t offset_;  // of the first byte not yet in the buffer
  std::vector<std::uint8_t> buffer_;
  std::size_t position_ = 0;  // the next unread byte of the buffer
};

bool read_u32(ImageSource& source, std::uint32_t& value) {
  std::span<const std::uint8_t> bytes;
  return source.take(4, bytes) && util::ByteReader(bytes).get_u32(value);
}

bool read_u64(ImageSource& source, std::uint64_t& value) {
  std::span<const std::uint8_t> bytes;
  return source.take(8, bytes) && util::ByteReader(bytes).get_u64(value);
}

// Clears the keyspace and writes the image's records and metadata.
bool restore_records(const storage::KvStore& kv, MDB_txn* txn, const Header& header,
                     ImageSource& source) {
  if (header.fields.descriptor) return false;
  kv.clear_all(txn);
  std::string key;
  for (std::uint64_t i = 0; i < header.count; ++i) {
    std::uint32_t key_length = 0;
    std::uint32_t payload_length = 0;
    std::uint64_t expires_at_ms = 0;
    std::span<const std::uint8_t> bytes;
    storage::Db db = 0;  // images before databases hold database 0 alone, no empty key
    if (header.databases) {
      if (!source.take(1, bytes)) return false;
      db = bytes[0];
    }
    if (!read_u32(source, key_length) || (key_length == 0 && !header.databases) ||
        key_length > storage::kMaxKeyBytes || !source.take(key_length, bytes)) {
      return false;
    }
    key.assign(as_text(bytes));
    if (!read_u64(source, expires_at_ms) || !read_u32(source, payload_length) ||
        !source.take(payload_length, bytes)) {
      return false;
    }
    kv.put(txn, db, key, as_text(bytes), expires_at_ms);
  }
  if (!source.at_end()) return false;
  kv.set_applied_index(txn, header.fields.applied_index);
  kv.set_clock_ms(txn, header.fields.clock_ms);
  return true;
}

// The file at `path` open for reading, its size and its header (with how many bytes the
// header took); nullopt when missing or not an image.
struct ImageFile {
  util::FileDescriptor fd;
  std::uint64_t size = 0;
  Header header;
  std::size_t header_bytes = 0;
};

std::optional<ImageFile> open_image_file(const std::filesystem::path& path) {
  ImageFile file;
  file.fd = util::FileDescriptor(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat status {};
  if (!file.fd.valid() || ::fstat(file.fd.get(), &status) != 0) return std::nullopt;
  file.size = static_cast<std::uint64_t>(status.st_size);
  std::array<std::uint8_t, kCountOffset + 8> head{};
  std::size_t got = 0;
  if (!util::pread_all(file.fd.get(), head.data(), head.size(), 0, got, path.string()).ok()) {
    return std::nullopt;
  }
  util::ByteReader reader(std::span<const std::uint8_t>(head.data(), got));
  const auto header = read_header(reader);
  if (!header || header->fields.descriptor) return std::nullopt;
  file.header = *header;
  file.header_bytes = got - reader.remaining();
  return file;
}

}  // namespace

std::vector<std::uint8_t> encode_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn) {
  std::vector<std::uint8_t> image;
  util::ByteWriter writer(image);
  put_image_header(writer, kv, txn, kv.size_all(txn));
  kv.scan_all(txn, "", [&](storage::Db db, std::string_view key, const storage::ValueView& value) {
    put_record(writer, db, key, value);
    return true;
  });
  return image;
}

KvImageStream::KvImageStream(const storage::KvStore& kv) : kv_(kv), txn_(kv.env()) {
  txn_.begin();
  applied_index_ = kv_.applied_index(txn_.get());
  util::ByteWriter writer(pending_);
  put_image_header(writer, kv_, txn_.get(), kv_.size_all(txn_.get()));
  resume_.emplace();  // "": from the first key
}

bool KvImageStream::next(std::size_t max_bytes, std::vector<std::uint8_t>& out) {
  out.clear();
  if (pending_.size() < max_bytes && resume_) {
    util::ByteWriter writer(pending_);
    resume_ = kv_.scan_all(
        txn_.get(), *resume_,
        [&](storage::Db db, std::string_view key, const storage::ValueView& value) {
          put_record(writer, db, key, value);
          return pending_.size() < max_bytes;
        });
  }
  const std::size_t taken = std::min(max_bytes, pending_.size());
  out.assign(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(taken));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(taken));
  if (!resume_ && pending_.empty()) txn_.end();
  return taken > 0;
}

std::optional<KvSnapshotHeader> read_kv_image_file_header(const std::filesystem::path& path) {
  const auto file = open_image_file(path);
  if (!file) return std::nullopt;
  return file->header.fields;
}

bool restore_kv_image_file(const storage::KvStore& kv, MDB_txn* txn,
                           const std::filesystem::path& path) {
  auto file = open_image_file(path);
  if (!file) return false;
  FileSource source(file->fd.get(), path.string(), file->size, file->header_bytes);
  return restore_records(kv, txn, file->header, source);
}

bool restore_kv_snapshot(const storage::KvStore& kv, MDB_txn* txn,
                         std::span<const std::uint8_t> image) {
  util::ByteReader reader(image);
  const auto header = read_header(reader);
  if (!header) return false;
  SpanSource source(reader);
  return restore_records(kv, txn, *header, source);
}

}  // namespace keepdb::consensus
