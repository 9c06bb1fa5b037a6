// SmallFilesystem: a tmpfs of a given size mounted on a new directory, to give a test a disk
// that fills (issue 14's full data dir, issue 18's full audit log), and the ballast file
// that fills it. Mounting needs root (CI runs the tests as root): mounted() is false
// otherwise and the test skips itself with a warning.
//
// Thread-safety: none; one test thread. Lifetime: the destructor unmounts (lazily, so a
// process still holding a file in it does not keep it busy).
#pragma once

#include <cstdint>
#include <filesystem>

namespace keepdb::integration {

class SmallFilesystem {
 public:
  // `size` in tmpfs's syntax, e.g. "20m".
  SmallFilesystem(const std::filesystem::path& mount_point, const char* size);
  ~SmallFilesystem();
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;

  bool mounted() const { return mounted_; }
  const std::filesystem::path& path() const { return mount_point_; }
  // Bytes an unprivileged writer can still write; throws std::runtime_error if unreadable.
  std::uint64_t free_bytes() const;

 private:
  std::filesystem::path mount_point_;
  bool mounted_ = false;
};

// Writes `bytes` bytes to a new file `path`; throws std::runtime_error if they do not fit.
void write_ballast(const std::filesystem::path& path, std::uint64_t bytes);

}  // namespace keepdb::integration
