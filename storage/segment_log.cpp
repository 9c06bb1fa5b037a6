// SegmentLog: segment file naming, record encoding, the checked scan with crash-tail repair,
// buffered appends with one fdatasync per sync() into zero-filled preallocated space, durable
// truncation and prefix deletion.
#include "storage/segment_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <concepts>
#include <cstdio>
#include <cstring>
#include <optional>

#include "util/byte_codec.h"
#include "storage/crc32.h"
#include "storage/data_dir.h"

namespace keepdb::storage {
namespace {

constexpr std::array<std::uint8_t, 8> kMagic = {'K', 'D', 'B', 'R', 'A', 'F', 'T', 'L'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 32;
constexpr std::size_t kFrameBytes = 4 + 4;            // length, CRC
constexpr std::size_t kRecordFixedBytes = 8 + 8 + 1;  // index, term, type: what length counts
constexpr std::size_t kMinRecordBytes = kFrameBytes + kRecordFixedBytes;
constexpr std::size_t kKeptBufferBytes = 4u << 20;  // the append buffer's capacity kept
constexpr std::size_t kZeroChunkBytes = 64u << 10;  // zeros written by one pwrite
constexpr std::size_t kSectorBytes = 512;  // the smallest unit a disk writes whole

util::IoStatus corrupt(const std::filesystem::path& path, const std::string& what) {
  return util::IoStatus::failure(RAFT_CORRUPT, "corrupt raft log segment " + path.string() + ": " + what);
}

std::uint32_t load_u32(const std::uint8_t* bytes) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

std::uint64_t load_u64(const std::uint8_t* bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

void store_u32(std::uint8_t* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

template <std::unsigned_integral Integer>
requires(sizeof(Integer) == 8)  // uint64_t, raft_index
    bool parse_hex16(std::string_view text, Integer& value) {
  if (text.size() != 16) return false;
  value = 0;
  for (char c : text) {
    int digit = 0;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return false;
    }
    value = (value << 4) | static_cast<Integer>(digit);
  }
  return true;
}

// Parses "g<16 hex>-<16 hex>.seg".
bool parse_segment_file_name(std::string_view name, std::uint64_t& generation,
                             raft_index& first_index) {
  return name.size() == 38 && name[0] == 'g' && name[17] == '-' && name.ends_with(".seg") &&
         parse_hex16(name.substr(1, 16), generation) &&
         parse_hex16(name.substr(18, 16), first_index);
}

std::array<std::uint8_t, kHeaderBytes> encode_header(std::uint64_t generation,
                                                     raft_index first_index) {
  std::array<std::uint8_t, kHeaderBytes> header{};
  std::copy(kMagic.begin(), kMagic.end(), header.begin());
  store_u32(header.data() + 8, kVersion);
  util::store_u64_le(header.data() + 16, generation);
  util::store_u64_le(header.data() + 24, first_index);
  return header;
}

// A record frame that is complete and passes its CRC at `offset`, with its total size.
struct Frame {
  raft_index index = 0;
  raft_term term = 0;
  std::uint8_t type = 0;
  std::span<const std::uint8_t> payload;
  std::size_t bytes = 0;
};

bool read_frame(std::span<const std::uint8_t> file, std::size_t offset, Frame& out) {
  if (file.size() - offset < kMinRecordBytes) return false;
  const std::uint8_t* at = file.data() + offset;
  const std::uint32_t length = load_u32(at);
  if (length < kRecordFixedBytes || length > file.size() - offset - kFrameBytes) return false;
  if (crc32_of({at + kFrameBytes, length}) != load_u32(at + 4)) return false;
  out.index = load_u64(at + 8);
  out.term = load_u64(at + 16);
  out.type = at[24];
  out.payload = {at + kMinRecordBytes, length - kRecordFixedBytes};
  out.bytes = kFrameBytes + length;
  return true;
}

// Where the first intact record for an index at or after `expected` starts after `offset`,
// or nullopt: then the damage at `offset` is the end of the log. Cheap index bounds first,
// CRC last.
std::optional<std::size_t> next_intact_record(std::span<const std::uint8_t> file,
                                              std::size_t offset, raft_index expected) {
  const raft_index highest = expected + file.size() / kMinRecordBytes;
  for (std::size_t at = offset + 1; at + kMinRecordBytes <= file.size(); ++at) {
    const raft_index index = load_u64(file.data() + at + 8);
    if (index < expected || index > highest) continue;
    Frame frame;
    if (read_frame(file, at, frame)) return at;
  }
  return std::nullopt;
}

bool all_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t byte) { return byte == 0; });
}

// Whether the damaged bytes [from, to) hold a sector whose write never reached the disk: a
// whole sector of zeros, or zeros from `from` (at least a frame header's worth) to the end of
// its sector. The log's space reads as zeros until records are written over it (zero-filled
// preallocation, or growth of the file), so a lost write leaves zeros; bit rot does not. A
// sector that holds the start of an intact record was written, so the bytes before `to` in
// to's own sector never count. The same test as etcd's WAL decoder uses for torn writes.
bool lost_sector_in(std::span<const std::uint8_t> file, std::size_t from, std::size_t to) {
  for (std::size_t start = from; start < to;) {
    const std::size_t sector_end = (start / kSectorBytes + 1) * kSectorBytes;
    if (sector_end > to) return false;
    const bool long_enough = start != from || sector_end - start >= kFrameBytes;
    if (long_enough && all_zero(file.subspan(start, sector_end - start))) return true;
    start = sector_end;
  }
  return false;
}

}  // namespace

// The bytes of one segment file. open() reuses one buffer for every segment and never
// zero-fills it: the read overwrites what is used.
struct SegmentLog::ReadBuffer {
  std::unique_ptr<std::uint8_t[]> data;
  std::size_t capacity = 0;
  std::size_t size = 0;

  std::span<const std::uint8_t> bytes() const { return {data.get(), size}; }

  util::IoStatus read_whole_file(const std::filesystem::path& path) {
    size = 0;
    util::FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return util::os_failure("open " + path.string(), errno);
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) return util::os_failure("stat " + path.string(), errno);
    const auto file_size = static_cast<std::size_t>(info.st_size);
    if (file_size > capacity) {
      data = std::make_unique_for_overwrite<std::uint8_t[]>(file_size);
      capacity = file_size;
    }
    return util::pread_all(fd.get(), data.get(), file_size, 0, size, path.string());
  }
};

namespace {

util::IoStatus truncate_file(int fd, std::uint64_t size, const std::filesystem::path& path) {
  while (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    if (errno != EINTR) return util::os_failure("truncate " + path.string(), errno);
  }
  if (::fdatasync(fd) != 0) return util::os_failure("fdatasync " + path.string(), errno);
  return util::IoStatus::success();
}

}  // namespace

std::string segment_file_name(std::uint64_t generation, raft_index first_index) {
  char name[48];
  std::snprintf(name, sizeof name, "g%016llx-%016llx.seg",
                static_cast<unsigned long long>(generation),
                static_cast<unsigned long long>(first_index));
  return name;
}

SegmentLog::SegmentLog(const SegmentLogOptions& options, std::uint64_t generation)
    : options_(options), generation_(generation) {}

SegmentLog::~SegmentLog() = default;

util::IoStatus SegmentLog::open(const SegmentLogOptions& options, std::uint64_t generation,
                          raft_index first_live_index, const Visitor& visit,
                          std::unique_ptr<SegmentLog>& out) {
  std::unique_ptr<SegmentLog> log(new SegmentLog(options, generation));
  std::error_code error;
  try {
    prepare_private_subdir(options.directory);
  } catch (const std::exception& failure) {
    return util::IoStatus::failure(RAFT_IOERR, failure.what());
  }
  // The directory's own entry must be durable before any segment in it counts.
  if (util::IoStatus status = util::fsync_directory(options.directory.parent_path()); !status.ok()) {
    return status;
  }
  std::filesystem::directory_iterator entry(options.directory, error);
  for (; !error && entry != std::filesystem::directory_iterator(); entry.increment(error)) {
    std::uint64_t file_generation = 0;
    raft_index first_index = 0;
    if (!parse_segment_file_name(entry->path().filename().string(), file_generation, first_index)) {
      continue;
    }
    if (file_generation != generation) {
      std::error_code ignored;
      std::filesystem::remove(entry->path(), ignored);
      continue;
    }
    log->segments_.push_back({first_index, entry->path(), 0, {}});
  }
  if (error) {
    return util::IoStatus::failure(RAFT_IOERR,
                             "list " + options.directory.string() + ": " + error.message());
  }
  std::sort(log->segments_.begin(), log->segments_.end(),
            [](const Segment& a, const Segment& b) { return a.first_index < b.first_index; });
  // Segments whose successor starts at or below the first live index hold only dead entries.
  while (log->segments_.size() >= 2 && log->segments_[1].first_index <= first_live_index) {
    std::error_code ignored;
    std::filesystem::remove(log->segments_.front().path, ignored);
    log->segments_.erase(log->segments_.begin());
  }
  ReadBuffer buffer;
  for (std::size_t i = 0; i < log->segments_.size(); ++i) {
    Segment& segment = log->segments_[i];
    if (i > 0) {
      const Segment& previous = log->segments_[i - 1];
      if (segment.first_index != previous.first_index + previous.positions.size()) {
        return corrupt(segment.path, "does not continue the previous segment");
      }
    }
    const bool last = i + 1 == log->segments_.size();
    bool removed = false;
    if (util::IoStatus status = log->load_segment(segment, last, first_live_index, visit, buffer, removed);
        !status.ok()) {
      return status;
    }
    if (removed) log->segments_.pop_back();
  }
  if (!log->segments_.empty()) {
    if (util::IoStatus status = log->open_segment_for_writing(log->segments_.back()); !status.ok()) {
      return status;
    }
  }
  out = std::move(log);
  return util::IoStatus::success();
}

util::IoStatus SegmentLog::load_segment(Segment& segment, bool last, raft_index first_live_index,
                                  const Visitor& visit, ReadBuffer& buffer, bool& removed) {
  if (util::IoStatus status = buffer.read_whole_file(segment.path); !status.ok()) return status;
  const std::span<const std::uint8_t> file = buffer.bytes();
  if (file.size() < kHeaderBytes || all_zero({file.data(), kHeaderBytes})) {
    // Created, but its header never became durable: nothing in it was ever synced.
    if (!last) return corrupt(segment.path, "missing header");
    if (::unlink(segment.path.c_str()) != 0) {
      return util::os_failure("remove " + segment.path.string(), errno);
    }
    removed = true;
    return util::fsync_directory(options_.directory);
  }
  const auto header = encode_header(generation_, segment.first_index);
  if (!std::equal(header.begin(), header.end(), file.begin())) {
    return corrupt(segment.path, "bad header");
  }
  std::size_t offset = kHeaderBytes;
  while (offset < file.size()) {
    const raft_index expected = segment.first_index + segment.positions.size();
    Frame frame;
    if (!read_frame(file, offset, frame)) {
      if (last && all_zero(file.subspan(offset))) break;  // padding
      if (!last) return corrupt(segment.path, "damaged record at byte " + std::to_string(offset));
      const std::optional<std::size_t> intact = next_intact_record(file, offset, expected);
      if (intact && !lost_sector_in(file, offset, *intact)) {
        return corrupt(segment.path, "damaged record at byte " + std::to_string(offset) +
                                         ", intact records after it");
      }
      // The tail of a write whose sync never completed: cut it off. Records after a lost
      // sector were written after it, so no sync completed after their write either (it
      // would have made the lost sector durable): none of them was ever acknowledged.
      repair_ = "cut " + segment.path.string() + " at byte " + std::to_string(offset) + ": " +
                (intact ? "a torn write that never completed its sync (a lost sector, intact "
                          "unsynced records after it)"
                        : "the tail of a write that never completed its sync");
      util::FileDescriptor fd(::open(segment.path.c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd.valid()) return util::os_failure("open " + segment.path.string(), errno);
      if (util::IoStatus status = truncate_file(fd.get(), offset, segment.path); !status.ok()) {
        return status;
      }
      segment.size = segment.allocated = offset;
      return util::IoStatus::success();
    }
    if (frame.index != expected) {
      return corrupt(segment.path, "entry " + std::to_string(frame.index) + " where " +
                                       std::to_string(expected) + " belongs");
    }
    segment.positions.push_back({offset, frame.term});
    if (frame.index >= first_live_index) {
      if (util::IoStatus status = visit({frame.index, frame.term, frame.type, frame.payload});
          !status.ok()) {
        return status;
      }
    }
    offset += frame.bytes;
  }
  segment.size = std::min<std::uint64_t>(offset, file.size());
  segment.allocated = file.size();
  return util::IoStatus::success();
}

bool SegmentLog::empty() const {
  return std::all_of(segments_.begin(), segments_.end(),
                     [](const Segment& segment) { return segment.positions.empty(); });
}

raft_index SegmentLog::next_index() const {
  if (segments_.empty()) return 0;
  return segments_.back().first_index + segments_.back().positions.size();
}

std::uint64_t SegmentLog::last_segment_bytes() const {
  return segments_.empty() ? 0 : segments_.back().size + pending_.size();
}

raft_term SegmentLog::last_term() const {
  for (auto segment = segments_.rbegin(); segment != segments_.rend(); ++segment) {
    if (!segment->positions.empty()) return segment->positions.back().term;
  }
  return 0;
}

util::IoStatus SegmentLog::open_segment_for_writing(const Segment& segment) {
  last_fd_ = util::FileDescriptor(::open(segment.path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!last_fd_.valid()) return util::os_failure("open " + segment.path.string(), errno);
  return util::IoStatus::success();
}

util::IoStatus SegmentLog::create_segment(raft_index first_index) {
  const std::filesystem::path path =
      options_.directory / segment_file_name(generation_, first_index);
  util::FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return util::os_failure("create " + path.string(), errno);
  const auto header = encode_header(generation_, first_index);
  if (util::IoStatus status = util::pwrite_all(fd.get(), header.data(), header.size(), 0, path.string());
      !status.ok()) {
    return status;
  }
  segments_.push_back({first_index, path, kHeaderBytes, {}, kHeaderBytes});
  last_fd_ = std::move(fd);
  unsynced_ = true;
  directory_dirty_ = true;
  preallocation_failed_ = false;
  return util::IoStatus::success();
}

util::IoStatus SegmentLog::append(const LogRecord& record) {
  if (segments_.empty()) {
    if (util::IoStatus status = create_segment(record.index); !status.ok()) return status;
  } else if (record.index != next_index()) {
    return util::IoStatus::failure(RAFT_IOERR, "raft log append at " + std::to_string(record.index) +
                                             ", expected " + std::to_string(next_index()));
  }
  const std::size_t record_bytes = kMinRecordBytes + record.payload.size();
  if (!segments_.back().positions.empty() &&
      segments_.back().size + pending_.size() + record_bytes > options_.segment_bytes) {
    // Roll over: the full segment becomes durable, without padding, before its successor
    // exists.
    if (util::IoStatus status = sync(); !status.ok()) return status;
    if (util::IoStatus status = cut_padding(); !status.ok()) return status;
    if (util::IoStatus status = create_segment(record.index); !status.ok()) return status;
  }
  Segment& segment = segments_.back();
  const std::size_t at = pending_.size();
  pending_.resize(at + record_bytes);
  std::uint8_t* out = pending_.data() + at;
  store_u32(out, static_cast<std::uint32_t>(kRecordFixedBytes + record.payload.size()));
  util::store_u64_le(out + 8, record.index);
  util::store_u64_le(out + 16, record.term);
  out[24] = static_cast<std::uint8_t>(record.type);
  if (!record.payload.empty()) {
    std::memcpy(out + kMinRecordBytes, record.payload.data(), record.payload.size());
  }
  store_u32(out + 4, crc32_of({out + kFrameBytes, record_bytes - kFrameBytes}));
  segment.positions.push_back({segment.size + at, record.term});
  return util::IoStatus::success();
}

util::IoStatus SegmentLog::write_pending() {
  if (pending_.empty()) return util::IoStatus::success();
  Segment& segment = segments_.back();
  util::IoStatus status =
      util::pwrite_all(last_fd_.get(), pending_.data(), pending_.size(), segment.size, segment.path);
  if (!status.ok()) return status;
  segment.size += pending_.size();
  pending_.clear();
  if (pending_.capacity() > kKeptBufferBytes) pending_ = {};  // after an unusually large batch
  unsynced_ = true;
  if (segment.size > segment.allocated) preallocate_after(segment.size);
  return util::IoStatus::success();
}

void SegmentLog::preallocate_after(std::uint64_t end) {
  Segment& segment = segments_.back();
  segment.allocated = end;
  const std::uint64_t step = options_.preallocate_bytes;
  if (step == 0 || preallocation_failed_) return;
  static const std::array<std::uint8_t, kZeroChunkBytes> zeros{};
  const std::uint64_t target = (end / step + 1) * step;
  while (segment.allocated < target) {
    const std::size_t count =
        static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), target - segment.allocated));
    if (!util::pwrite_all(last_fd_.get(), zeros.data(), count, segment.allocated, segment.path)
             .ok()) {
      // Whatever part was written is padding like the rest; appends go on without more.
      preallocation_failed_ = true;
      return;
    }
    segment.allocated += count;
  }
}

util::IoStatus SegmentLog::cut_padding() {
  Segment& segment = segments_.back();
  if (segment.allocated == segment.size && !preallocation_failed_) {
    return util::IoStatus::success();
  }
  if (util::IoStatus status = truncate_file(last_fd_.get(), segment.size, segment.path);
      !status.ok()) {
    return status;
  }
  segment.allocated = segment.size;
  return util::IoStatus::success();
}

util::IoStatus SegmentLog::sync() {
  if (util::IoStatus status = write_pending(); !status.ok()) return status;
  if (unsynced_) {
    if (::fdatasync(last_fd_.get()) != 0) {
      return util::os_failure("fdatasync " + segments_.back().path.string(), errno);
    }
    unsynced_ = false;
  }
  if (directory_dirty_) {
    if (util::IoStatus status = util::fsync_directory(options_.directory); !status.ok()) return status;
    directory_dirty_ = false;
  }
  return util::IoStatus::success();
}

util::IoStatus SegmentLog::truncate(raft_index index) {
  if (segments_.empty() || index >= next_index()) return util::IoStatus::success();
  if (util::IoStatus status = sync(); !status.ok()) return status;
  // Later segments go first, newest first, each removal durable: a crash leaves a prefix.
  while (segments_.size() > 1 && segments_.back().first_index >= index) {
    last_fd_.reset();
    if (::unlink(segments_.back().path.c_str()) != 0) {
      return util::os_failure("remove " + segments_.back().path.string(), errno);
    }
    if (util::IoStatus status = util::fsync_directory(options_.directory); !status.ok()) return status;
    segments_.pop_back();
  }
  Segment& segment = segments_.back();
  if (!last_fd_.valid()) {
    if (util::IoStatus status = open_segment_for_writing(segment); !status.ok()) return status;
  }
  const std::size_t kept = index > segment.first_index ? index - segment.first_index : 0;
  const std::uint64_t size =
      kept < segment.positions.size() ? segment.positions[kept].offset : segment.size;
  if (util::IoStatus status = truncate_file(last_fd_.get(), size, segment.path); !status.ok()) {
    return status;
  }
  segment.positions.resize(std::min(kept, segment.positions.size()));
  segment.size = segment.allocated = size;
  if (segment.positions.empty() && index < segment.first_index) {
    // Everything went, even entries below this segment's name: start over at `index`.
    last_fd_.reset();
    if (::unlink(segment.path.c_str()) != 0) {
      return util::os_failure("remove " + segment.path.string(), errno);
    }
    segments_.pop_back();
    return util::fsync_directory(options_.directory);
  }
  return util::IoStatus::success();
}

void SegmentLog::drop_prefix(raft_index up_to) {
  while (segments_.size() >= 2 && segments_[1].first_index <= up_to + 1) {
    std::error_code ignored;
    std::filesystem::remove(segments_.front().path, ignored);
    segments_.erase(segments_.begin());
  }
}

}  // namespace keepdb::storage
