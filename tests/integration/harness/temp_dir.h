// A fresh private temporary directory (mode 0700) per test, removed with everything in it
// when the object is destroyed. Set KEEPDB_KEEP_TEST_DIRS=1 to keep it for inspection.
//
// Thread-safety: none needed; each test owns its own. Lifetime: RAII, move-only.
#pragma once

#include <filesystem>
#include <string>

namespace keepdb::integration {

class TempDir {
 public:
  // `label` becomes part of the name, to tell directories apart when kept.
  explicit TempDir(const std::string& label = "test");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `text` to `path`, replacing it; throws std::runtime_error on failure.
void write_file(const std::filesystem::path& path, const std::string& text);
// The whole file, or "" if it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace keepdb::integration
