// Tests for prepare_data_dir / prepare_private_subdir: creation with mode 0700 (parents
// included), and refusal of wide permissions, foreign owners and non-directories.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/data_dir.h"
#include "tests/unit/storage/temp_dir.h"

using Catch::Matchers::Contains;
using keepdb::storage::DataDirError;
using keepdb::storage::prepare_data_dir;
using keepdb::storage::prepare_private_subdir;

namespace {

namespace fs = std::filesystem;

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

void make_dir(const fs::path& path, mode_t mode) {
  REQUIRE(::mkdir(path.c_str(), 0700) == 0);
  REQUIRE(::chmod(path.c_str(), mode) == 0);  // chmod: not subject to the umask
}

void make_file(const fs::path& path) {
  std::ofstream(path) << "not a directory";
}

}  // namespace

TEST_CASE("data_dir: a missing dir is created 0700 together with its missing parents",
          "[data_dir]") {
  keepdb::test::TempDir root;
  const fs::path dir = root.path() / "a" / "b" / "data";
  prepare_data_dir(dir);
  CHECK(mode_of(root.path() / "a") == 0700);
  CHECK(mode_of(root.path() / "a" / "b") == 0700);
  CHECK(mode_of(dir) == 0700);
}

TEST_CASE("data_dir: an existing 0700 dir is accepted as it is", "[data_dir]") {
  keepdb::test::TempDir root;
  const fs::path dir = root.path() / "data";
  make_dir(dir, 0700);
  prepare_data_dir(dir);
  prepare_data_dir(dir.string() + "/");  // a trailing slash names the same dir
  CHECK(mode_of(dir) == 0700);
}

TEST_CASE("data_dir: an existing 0755 dir is refused with a chmod 700 hint", "[data_dir]") {
  keepdb::test::TempDir root;
  const fs::path dir = root.path() / "data";
  make_dir(dir, 0755);
  CHECK_THROWS_WITH(prepare_data_dir(dir),
                    Contains("chmod 700 " + dir.string()) && Contains("has mode 755"));
  CHECK(mode_of(dir) == 0755);  // reported, never silently changed
}

TEST_CASE("data_dir: a dir only the group can read is refused too", "[data_dir]") {
  keepdb::test::TempDir root;
  const fs::path dir = root.path() / "data";
  make_dir(dir, 0740);
  CHECK_THROWS_WITH(prepare_data_dir(dir), Contains("chmod 700"));
}

TEST_CASE("data_dir: a file in place of the dir is refused", "[data_dir]") {
  keepdb::test::TempDir root;
  const fs::path dir = root.path() / "data";
  make_file(dir);
  CHECK_THROWS_WITH(prepare_data_dir(dir), Contains("is not a directory"));
}

TEST_CASE("data_dir: a file in place of a parent is refused", "[data_dir]") {
  keepdb::test::TempDir root;
  make_file(root.path() / "parent");
  CHECK_THROWS_AS(prepare_data_dir(root.path() / "parent" / "data"), DataDirError);
}

TEST_CASE("data_dir: an empty path is refused", "[data_dir]") {
  CHECK_THROWS_WITH(prepare_data_dir(""), Contains("not set"));
}

TEST_CASE("data_dir: a dir owned by another user is refused", "[data_dir]") {
  if (::geteuid() != 0) return;  // only root can give a dir away
  keepdb::test::TempDir root;
  const fs::path dir = root.path() / "data";
  make_dir(dir, 0700);
  REQUIRE(::chown(dir.c_str(), 65534, 65534) == 0);
  CHECK_THROWS_WITH(prepare_data_dir(dir), Contains("owned by uid 65534"));
}

TEST_CASE("data_dir: a private subdir is created 0700 and a wider one refused", "[data_dir]") {
  keepdb::test::TempDir root;
  prepare_private_subdir(root.path() / "raft");
  CHECK(mode_of(root.path() / "raft") == 0700);
  make_dir(root.path() / "snapshots", 0750);
  CHECK_THROWS_WITH(prepare_private_subdir(root.path() / "snapshots"), Contains("chmod 700"));
}
