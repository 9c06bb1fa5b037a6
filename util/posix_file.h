// Plain POSIX file primitives shared by the Raft log store's files (snapshot files, log
// segments): an owning file descriptor, whole-buffer reads and writes that retry EINTR and
// short transfers, directory fsync, and the mapping of errno to RAFT_* codes.
//
// Thread-safety: a FileDescriptor is owned by one thread at a time; the functions are
// reentrant. Lifetime: a FileDescriptor closes its descriptor when destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

#include "util/io_status.h"

namespace keepdb::util {


class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes, reporting the error a destructor would have to drop.
  bool close();
  void reset();

 private:
  int fd_ = -1;
};

// RAFT_NOSPACE for a full disk, quota or file size limit (ENOSPC, EDQUOT, EFBIG), else
// RAFT_IOERR; the message is `what` and strerror(error).
IoStatus os_failure(const std::string& what, int error);

// Writes all `count` bytes at the file position (write_all) or at `offset` (pwrite_all).
IoStatus write_all(int fd, const std::uint8_t* bytes, std::size_t count, const std::string& path);
IoStatus pwrite_all(int fd, const std::uint8_t* bytes, std::size_t count, std::uint64_t offset,
                    const std::string& path);

// Reads up to `count` bytes from `offset`, fewer only at the end of the file; `got` receives
// how many.
IoStatus pread_all(int fd, std::uint8_t* bytes, std::size_t count, std::uint64_t offset,
                   std::size_t& got, const std::string& path);

IoStatus fsync_directory(const std::filesystem::path& directory);

}  // namespace keepdb::util
