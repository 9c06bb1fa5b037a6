// TempDir: a fresh private directory (mode 0700, by mkdtemp) under the system temp dir for
// one test, removed with everything in it when its last owner is destroyed. Set
// KEEPDB_KEEP_TEST_DIRS=1 to keep it for inspection; `label` names it, to tell kept
// directories apart. The one temporary directory of every test tier and benchmark.
//
// Thread-safety: none needed; each test owns its own. Lifetime: RAII, move-only (a
// moved-from TempDir removes nothing).
#pragma once

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace keepdb::test {

class TempDir {
 public:
  explicit TempDir(std::string_view label = "test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("keepdb-" + std::string(label) + "-XXXXXX"))
            .string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    if (path_.empty()) return;
    const char* keep = std::getenv("KEEPDB_KEEP_TEST_DIRS");
    if (keep != nullptr && std::string_view(keep) == "1") return;
    std::error_code ignored;
    // A test may have taken its own permissions away to provoke an error.
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace keepdb::test
