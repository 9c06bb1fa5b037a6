// read_key_file and require_private over POSIX open/fstat/read.
#include "plugins/auth-jwt/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace keepdb::auth_jwt {
namespace {

[[noreturn]] void fail(std::string_view option, const std::string& path,
                       const std::string& problem) {
  throw std::invalid_argument(std::string(option) + " " + path + ": " + problem);
}

}  // namespace

KeyFile read_key_file(std::string_view option, const std::string& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(option, path, std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) fail(option, path, std::strerror(errno));
  if (!S_ISREG(info.st_mode)) fail(option, path, "not a regular file");
  if (static_cast<std::size_t>(info.st_size) > max_bytes) {
    fail(option, path, "larger than " + std::to_string(max_bytes) + " bytes");
  }
  // One byte more than the size, so a file that grew meanwhile is noticed.
  KeyFile file{kdb::sdk::SecretBytes::zeroed(static_cast<std::size_t>(info.st_size) + 1),
               info.st_mode};
  std::size_t done = 0;
  while (done < file.bytes.size()) {
    const ssize_t n = ::read(fd, file.bytes.data() + done, file.bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(option, path, std::strerror(errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (done > max_bytes || done == file.bytes.size()) fail(option, path, "changed while read");
  file.bytes.truncate(done);
  return file;
}

void require_private(std::string_view option, const std::string& path, mode_t mode) {
  if ((mode & (S_IRWXG | S_IRWXO)) == 0) return;
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode & 07777));
  fail(option, path,
       std::string("holds a secret and must not be accessible by group or others (mode ") + octal +
           "); chmod 600 it");
}

}  // namespace keepdb::auth_jwt
