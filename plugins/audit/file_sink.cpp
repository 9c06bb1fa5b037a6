// The JSON Lines file sink (file_sink.h).
#include "plugins/audit/file_sink.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <utility>

namespace keepdb::audit {

namespace {

constexpr std::size_t kTailWindow = 64 * 1024;  // a record is far smaller
constexpr std::size_t kBatchBytes = 64 * 1024;   // records buffered before a write

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw std::invalid_argument("audit file " + path + ": " + why);
}

int open_append(const std::string& path) {
  return ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

struct ChainTail {
  std::uint64_t seq = 0;
  std::string hash;
};

// The last whole line of the file open at `fd` (size `size`), or "" for an empty file;
// `whole` receives the offset just past that line's '\n' (where a partial line starts).
std::string last_line(int fd, const std::string& path, std::uint64_t size, std::uint64_t& whole) {
  const std::uint64_t start = size > kTailWindow ? size - kTailWindow : 0;
  std::string window(size - start, '\0');
  const ssize_t n = ::pread(fd, window.data(), window.size(), static_cast<off_t>(start));
  if (n != static_cast<ssize_t>(window.size())) refuse(path, "cannot read its last record");
  const std::size_t end = window.rfind('\n');
  if (end == std::string::npos) {
    if (start > 0) refuse(path, "its last 64 KiB hold no whole record");
    whole = 0;
    return {};
  }
  whole = start + end + 1;
  const std::size_t begin = end == 0 ? std::string::npos : window.rfind('\n', end - 1);
  if (begin == std::string::npos) {
    if (start > 0) refuse(path, "its last record is over 64 KiB");
    return window.substr(0, end);
  }
  return window.substr(begin + 1, end - begin - 1);
}

ChainTail parse_tail(const std::string& path, const std::string& line, const ChainHasher& chain) {
  const auto record = parse_sealed(line, chain);
  if (!record) {
    refuse(path,
           "its last line is not a sealed audit record; move the file away to start a "
           "new chain");
  }
  if (!record->hash_ok) {
    refuse(path,
           "its last record does not match its hash (edited, or another chain_key_file); "
           "run keepdb-audit verify");
  }
  return ChainTail{record->seq, record->hash};
}

// The chain's end in a rotated file (read only), or nullopt when it is absent or empty.
std::optional<ChainTail> rotated_tail(const std::string& path, const ChainHasher& chain) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  struct stat info {};
  std::uint64_t whole = 0;
  std::string line;
  if (::fstat(fd, &info) == 0)
    line = last_line(fd, path, static_cast<std::uint64_t>(info.st_size), whole);
  ::close(fd);
  if (line.empty()) return std::nullopt;
  return parse_tail(path, line, chain);
}

}  // namespace

FileSink::FileSink(const Settings& settings, Logger log)
    : path_(settings.path),
      fsync_(settings.fsync),
      interval_(settings.fsync_interval),
      max_bytes_(settings.max_bytes),
      keep_(settings.keep),
      encoder_(settings.node_id, settings.key_hash_key.view()),
      chain_(settings.chain_key.view()),
      log_(std::move(log)),
      hash_(genesis_hash()) {
  fd_ = open_append(path_);
  if (fd_ < 0) refuse(path_, std::strerror(errno));
  try {
    struct stat info {};
    if (::fstat(fd_, &info) != 0) refuse(path_, std::strerror(errno));
    if (!S_ISREG(info.st_mode)) refuse(path_, "not a regular file");
    const auto size = static_cast<std::uint64_t>(info.st_size);
    std::uint64_t whole = 0;
    const std::string line = last_line(fd_, path_, size, whole);
    std::optional<ChainTail> tail;
    if (!line.empty()) {
      tail = parse_tail(path_, line, chain_);
    } else {
      tail = rotated_tail(path_ + ".1", chain_);
    }
    if (tail) {
      seq_ = tail->seq;
      hash_ = tail->hash;
    }
    if (whole < size) {
      if (::ftruncate(fd_, static_cast<off_t>(whole)) != 0) refuse(path_, std::strerror(errno));
      log_(KDB_LOG_WARN, "cut off a partial last record of " + std::to_string(size - whole) +
                             " bytes in " + path_ + " (a crash while writing)");
    }
    size_ = whole;
  } catch (...) {
    ::close(fd_);
    throw;
  }
  if (fsync_ != FsyncPolicy::kEveryRecord) pending_.reserve(kBatchBytes);
  if (fsync_ == FsyncPolicy::kInterval) {
    syncer_ = std::thread([this] { sync_loop(); });
    pthread_setname_np(syncer_.native_handle(), "audit-fsync");
  }
}

FileSink::~FileSink() {
  if (failed_ == 0) write_pending();
  if (!pending_.empty()) {
    log_(KDB_LOG_ERROR, "dropping " + std::to_string(pending_.size()) +
                            " bytes of records that could not be written to " + path_);
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  if (fd_ >= 0) {
    if (fsync_ != FsyncPolicy::kNone && dirty_) ::fdatasync(fd_);
    ::close(fd_);
  }
}

void FileSink::fail(std::string_view what, int error) {
  if (failed_++ == 0) {
    log_(KDB_LOG_ERROR, "cannot " + std::string(what) + " " + path_ + ": " + std::strerror(error) +
                            "; records fail until the sink can write again");
  }
}

void FileSink::recovered() {
  if (failed_ == 0) return;
  log_(KDB_LOG_INFO,
       "writing " + path_ + " again after " + std::to_string(failed_) + " failed writes");
  failed_ = 0;
}

bool FileSink::open_current() {
  const int fd = open_append(path_);
  if (fd < 0) return false;
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    return false;
  }
  std::lock_guard lock(mutex_);
  fd_ = fd;
  size_ = static_cast<std::uint64_t>(info.st_size);
  dirty_ = false;
  return true;
}

void FileSink::sync_dir() const {
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool FileSink::rotate() {
  {
    std::lock_guard lock(mutex_);
    if (fsync_ != FsyncPolicy::kNone && dirty_ && ::fdatasync(fd_) != 0) {
      fail("sync before rotating", errno);
      return false;
    }
    ::close(fd_);
    fd_ = -1;
  }
  for (unsigned k = keep_; k > 1; --k) {
    const std::string from = path_ + "." + std::to_string(k - 1);
    if (::rename(from.c_str(), (path_ + "." + std::to_string(k)).c_str()) != 0 && errno != ENOENT) {
      fail("rotate", errno);
      return false;
    }
  }
  if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0 && errno != ENOENT) {
    fail("rotate", errno);
    return false;
  }
  if (fsync_ != FsyncPolicy::kNone) sync_dir();
  return true;
}

bool FileSink::append(std::string_view bytes) {
  if (fd_ < 0 && !open_current()) {
    fail("open", errno);
    return false;
  }
  if (cut_pending_) {
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      fail("cut a partial record off", errno);
      return false;
    }
    cut_pending_ = false;
  }
  if (max_bytes_ != 0 && size_ > 0 && size_ + bytes.size() > max_bytes_) {
    if (!rotate()) return false;
    if (!open_current()) {
      fail("open", errno);
      return false;
    }
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      cut_pending_ = done > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0;
      fail("write", error);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync_ == FsyncPolicy::kEveryRecord && ::fdatasync(fd_) != 0) {
    const int error = errno;
    cut_pending_ = ::ftruncate(fd_, static_cast<off_t>(size_)) != 0;
    fail("sync", error);
    return false;
  }
  size_ += bytes.size();
  if (fsync_ == FsyncPolicy::kInterval) {
    std::lock_guard lock(mutex_);
    dirty_ = true;
  }
  recovered();
  return true;
}

bool FileSink::write_pending() {
  if (pending_.empty()) return true;
  if (!append(pending_)) return false;
  pending_.clear();
  return true;
}

bool FileSink::record(const kdb_audit_event& event) {
  line_.clear();
  encoder_.append_sealed(line_, event, seq_ + 1, hash_, chain_, next_hash_);
  if (fsync_ == FsyncPolicy::kEveryRecord) {
    if (!append(line_)) return false;
  } else {
    // Write the buffer first when it failed before, is full, or ends the current file (so
    // that each write() goes to one file and rotation happens between the same records).
    const std::size_t after = pending_.size() + line_.size();
    const bool rotates = max_bytes_ != 0 && size_ + after > max_bytes_;
    if (!pending_.empty() && (failed_ > 0 || after > kBatchBytes || rotates) && !write_pending()) {
      return false;
    }
    pending_ += line_;
  }
  ++seq_;
  hash_.swap(next_hash_);
  return true;
}

bool FileSink::flush() {
  return write_pending() && failed_ == 0;
}

void FileSink::sync_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_);
    if (!dirty_ || fd_ < 0) continue;
    // Sync a duplicate outside the lock, so record() never waits for a disk flush.
    const int fd = ::dup(fd_);
    if (fd < 0) continue;
    dirty_ = false;
    lock.unlock();
    const bool synced = ::fdatasync(fd) == 0;
    const int error = errno;
    ::close(fd);
    if (!synced) {
      log_(KDB_LOG_ERROR, "cannot sync " + path_ + ": " + std::string(std::strerror(error)));
    }
    lock.lock();
    if (!synced) dirty_ = true;
  }
}

}  // namespace keepdb::audit
