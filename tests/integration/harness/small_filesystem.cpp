// SmallFilesystem and its ballast: a tmpfs that a test can fill.
#include "tests/integration/harness/small_filesystem.h"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>

namespace keepdb::integration {

SmallFilesystem::SmallFilesystem(const std::filesystem::path& mount_point, const char* size)
    : mount_point_(mount_point) {
  std::filesystem::create_directory(mount_point_);
  const std::string options = std::string("size=") + size + ",mode=0700";
  mounted_ = ::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, options.c_str()) == 0;
}

SmallFilesystem::~SmallFilesystem() {
  if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
}

std::uint64_t SmallFilesystem::free_bytes() const {
  struct statvfs info {};
  if (::statvfs(mount_point_.c_str(), &info) != 0) {
    throw std::runtime_error("statvfs " + mount_point_.string() + " failed");
  }
  return std::uint64_t{info.f_bavail} * info.f_frsize;
}

void write_ballast(const std::filesystem::path& path, std::uint64_t bytes) {
  std::ofstream out(path, std::ios::binary);
  const std::string chunk(1 << 16, 'b');
  for (std::uint64_t written = 0; written < bytes; written += chunk.size()) {
    out.write(chunk.data(),
              static_cast<std::streamsize>(std::min<std::uint64_t>(chunk.size(), bytes - written)));
  }
  out.flush();
  if (!out.good()) throw std::runtime_error("cannot write the ballast " + path.string());
}

}  // namespace keepdb::integration
