// Tests for prepare_data_dir / prepare_private_subdir: creation with mode 0700 (parents
// included), and refusal of wide permissions, foreign owners, non-directories, symbolic
// links, and directories above the data dir that another user could change.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/data_dir.h"
#include "tests/support/temp_dir.h"

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

TEST_CASE("data_dir: a data dir that is a symbolic link is refused, even to a private dir",
          "[data_dir]") {
  keepdb::test::TempDir root;
  make_dir(root.path() / "real", 0700);
  const fs::path link = root.path() / "data";
  fs::create_directory_symlink(root.path() / "real", link);
  const std::string expected = "data dir " + link.string() + " is a symbolic link (to " +
                               (root.path() / "real").string() + "); name the directory itself";
  CHECK_THROWS_WITH(prepare_data_dir(link), expected);
  CHECK_THROWS_WITH(prepare_data_dir(link.string() + "/"), expected);
}

TEST_CASE("data_dir: kv and raft subdirs that are symbolic links are refused", "[data_dir]") {
  keepdb::test::TempDir root;
  make_dir(root.path() / "elsewhere", 0700);
  const std::string name = GENERATE("kv", "raft");
  const fs::path link = root.path() / name;
  fs::create_directory_symlink(root.path() / "elsewhere", link);
  CHECK_THROWS_WITH(prepare_private_subdir(link),
                    "data dir " + link.string() + " is a symbolic link (to " +
                        (root.path() / "elsewhere").string() + "); name the directory itself");
  fs::remove(link);
  fs::create_directory_symlink(root.path() / "missing", link);  // dangling: not created through
  CHECK_THROWS_WITH(prepare_private_subdir(link), Contains("is a symbolic link"));
  CHECK_FALSE(fs::exists(root.path() / "missing"));
}

TEST_CASE("data_dir: a directory above it writable by others is refused, nothing created",
          "[data_dir]") {
  keepdb::test::TempDir root;
  const fs::path wide = root.path() / "wide";
  make_dir(wide, 0700);
  make_dir(wide / "srv", 0755);
  const auto [mode, octal] =
      GENERATE(table<mode_t, std::string>({{0777, "0777"}, {0770, "0770"}, {0757, "0757"}}));
  REQUIRE(::chmod(wide.c_str(), mode) == 0);
  const fs::path dir = wide / "srv" / "keepdb" / "data";
  CHECK_THROWS_WITH(prepare_data_dir(dir), "data dir " + dir.string() + ": " + wide.string() +
                                               " is writable by group or others (mode " + octal +
                                               ")");
  CHECK_FALSE(fs::exists(wide / "srv" / "keepdb"));

  make_dir(wide / "srv" / "keepdb", 0700);
  make_dir(dir, 0700);
  CHECK_THROWS_WITH(prepare_data_dir(dir), Contains(wide.string() + " is writable by group"));
}

TEST_CASE("data_dir: a sticky directory above it is trusted only when root owns it", "[data_dir]") {
  // Like /tmp, which every test here already sits under.
  keepdb::test::TempDir root;
  const fs::path shared = root.path() / "shared";
  make_dir(shared, 01777);
  const fs::path dir = shared / "data";
  if (::geteuid() == 0) {
    prepare_data_dir(dir);
    CHECK(mode_of(dir) == 0700);
  } else {
    CHECK_THROWS_WITH(prepare_data_dir(dir),
                      Contains(shared.string() + " is writable by group or others (mode 1777)"));
  }
}

TEST_CASE("data_dir: a directory above it owned by another user is refused", "[data_dir]") {
  if (::geteuid() != 0) return;  // only root can give a dir away
  keepdb::test::TempDir root;
  const fs::path theirs = root.path() / "theirs";
  make_dir(theirs, 0755);
  REQUIRE(::chown(theirs.c_str(), 65534, 65534) == 0);
  CHECK_THROWS_WITH(prepare_data_dir(theirs / "data"),
                    Contains(theirs.string() + " is owned by uid 65534, neither root nor"));
  CHECK_FALSE(fs::exists(theirs / "data"));
}

TEST_CASE("data_dir: a linked directory above it is followed and its target checked",
          "[data_dir]") {
  keepdb::test::TempDir root;
  make_dir(root.path() / "volume", 0755);
  fs::create_directory_symlink(root.path() / "volume", root.path() / "srv");
  prepare_data_dir(root.path() / "srv" / "data");
  CHECK(mode_of(root.path() / "volume" / "data") == 0700);

  REQUIRE(::chmod((root.path() / "volume").c_str(), 0777) == 0);
  CHECK_THROWS_WITH(
      prepare_data_dir(root.path() / "srv" / "data"),
      Contains((root.path() / "volume").string() + " is writable by group or others (mode 0777)"));
}
