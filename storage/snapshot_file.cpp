// Durable snapshot data files: temp file, fsync, rename, directory fsync; CRC-checked reads.
#include "storage/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace keepdb::storage {
namespace {

IoStatus os_failure(const std::string& what, int error) {
  const int code = (error == ENOSPC || error == EDQUOT) ? RAFT_NOSPACE : RAFT_IOERR;
  return IoStatus::failure(code, what + ": " + std::strerror(error));
}

IoStatus corrupt(const std::string& what) {
  return IoStatus::failure(RAFT_CORRUPT, "corrupt snapshot file: " + what);
}

// Owns a file descriptor; close() reports the error that a destructor would have to drop.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }
  bool close() { return ::close(std::exchange(fd_, -1)) == 0; }

 private:
  int fd_;
};

IoStatus write_all(int fd, const std::uint8_t* bytes, std::size_t count, const std::string& path) {
  while (count > 0) {
    const ssize_t written = ::write(fd, bytes, count);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return os_failure("write " + path, errno);
    bytes += written;
    count -= static_cast<std::size_t>(written);
  }
  return IoStatus::success();
}

IoStatus fsync_directory(const std::filesystem::path& directory) {
  FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return os_failure("open directory " + directory.string(), errno);
  if (::fsync(fd.get()) != 0) return os_failure("fsync directory " + directory.string(), errno);
  return IoStatus::success();
}

}  // namespace

std::string snapshot_file_name(std::uint64_t sequence) {
  char name[40];
  std::snprintf(name, sizeof name, "snapshot-%016llx", static_cast<unsigned long long>(sequence));
  return name;
}

IoStatus write_snapshot_file(const std::filesystem::path& directory, std::uint64_t sequence,
                             std::span<const raft_buffer> buffers, std::uint32_t& crc32) {
  const std::filesystem::path final_path = directory / snapshot_file_name(sequence);
  const std::filesystem::path temp_path = directory / (snapshot_file_name(sequence) + ".tmp");
  FileDescriptor fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return os_failure("create " + temp_path.string(), errno);
  boost::crc_32_type crc;
  for (const raft_buffer& buffer : buffers) {
    const auto* bytes = static_cast<const std::uint8_t*>(buffer.base);
    if (IoStatus status = write_all(fd.get(), bytes, buffer.len, temp_path.string());
        !status.ok()) {
      return status;
    }
    crc.process_bytes(bytes, buffer.len);
  }
  if (::fsync(fd.get()) != 0) return os_failure("fsync " + temp_path.string(), errno);
  if (!fd.close()) return os_failure("close " + temp_path.string(), errno);
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    return os_failure("rename " + temp_path.string(), errno);
  }
  crc32 = crc.checksum();
  return fsync_directory(directory);
}

IoStatus read_snapshot_file(const std::filesystem::path& directory, std::uint64_t sequence,
                            std::uint32_t expected_crc32, std::span<std::uint8_t> out) {
  const std::filesystem::path path = directory / snapshot_file_name(sequence);
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return corrupt("cannot open " + path.string() + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return os_failure("stat " + path.string(), errno);
  if (static_cast<std::uint64_t>(info.st_size) != out.size()) {
    return corrupt(path.string() + " has " + std::to_string(info.st_size) + " bytes, expected " +
                   std::to_string(out.size()));
  }
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t got = ::read(fd.get(), out.data() + done, out.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return os_failure("read " + path.string(), errno);
    if (got == 0) return corrupt(path.string() + " is shorter than its metadata says");
    done += static_cast<std::size_t>(got);
  }
  boost::crc_32_type crc;
  crc.process_bytes(out.data(), out.size());
  if (crc.checksum() != expected_crc32) return corrupt(path.string() + " fails its CRC-32 check");
  return IoStatus::success();
}

void remove_other_snapshot_files(const std::filesystem::path& directory,
                                 std::uint64_t keep_sequence) {
  const std::string keep = snapshot_file_name(keep_sequence);
  std::error_code error;
  std::filesystem::directory_iterator entry(directory, error);
  for (; !error && entry != std::filesystem::directory_iterator(); entry.increment(error)) {
    std::error_code ignored;
    if (entry->path().filename() != keep) std::filesystem::remove(entry->path(), ignored);
  }
}

}  // namespace keepdb::storage
