// POSIX file primitives: EINTR and short-transfer loops, directory fsync, errno mapping.
#include "util/posix_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/raft_c_api.h"

namespace keepdb::util {

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

bool FileDescriptor::close() {
  return ::close(std::exchange(fd_, -1)) == 0;
}

void FileDescriptor::reset() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

IoStatus os_failure(const std::string& what, int error) {
  const int code =
      (error == ENOSPC || error == EDQUOT || error == EFBIG) ? RAFT_NOSPACE : RAFT_IOERR;
  return IoStatus::failure(code, what + ": " + std::strerror(error));
}

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

IoStatus pwrite_all(int fd, const std::uint8_t* bytes, std::size_t count, std::uint64_t offset,
                    const std::string& path) {
  while (count > 0) {
    const ssize_t written = ::pwrite(fd, bytes, count, static_cast<off_t>(offset));
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return os_failure("write " + path, errno);
    bytes += written;
    count -= static_cast<std::size_t>(written);
    offset += static_cast<std::uint64_t>(written);
  }
  return IoStatus::success();
}

IoStatus pread_all(int fd, std::uint8_t* bytes, std::size_t count, std::uint64_t offset,
                   std::size_t& got, const std::string& path) {
  got = 0;
  while (got < count) {
    const ssize_t read = ::pread(fd, bytes + got, count - got, static_cast<off_t>(offset + got));
    if (read < 0 && errno == EINTR) continue;
    if (read < 0) return os_failure("read " + path, errno);
    if (read == 0) break;
    got += static_cast<std::size_t>(read);
  }
  return IoStatus::success();
}

IoStatus fsync_directory(const std::filesystem::path& directory) {
  FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return os_failure("open directory " + directory.string(), errno);
  if (::fsync(fd.get()) != 0) return os_failure("fsync directory " + directory.string(), errno);
  return IoStatus::success();
}

}  // namespace keepdb::util
