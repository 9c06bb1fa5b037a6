// The trusted-file rule: a plugin, or any directory above it, writable by group/others or
// owned by another user is refused; so is a plugin that is a symbolic link. Linked
// directories are followed and their targets checked too.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "kernel/plugin_host/library_loader.h"
#include "tests/plugin_abi/host/fixture_paths.h"
#include "tests/plugin_abi/host/test_support.h"

namespace keepdb::plugin_host::testing {

using std::filesystem::perms;

TEST_CASE("permissions: a private dir and a 0755 library load", "[permissions]") {
  TempDir dir;
  CHECK(open_library(stage(fixture::kDeferAll, dir), "").status == LoadStatus::kOk);
}

TEST_CASE("permissions: a plugin dir writable by others is refused", "[permissions]") {
  TempDir dir;
  const auto path = stage(fixture::kDeferAll, dir);
  const perms mode = GENERATE(perms::all, perms::owner_all | perms::group_all);
  std::filesystem::permissions(dir.path(), mode);
  const LibraryReport report = open_library(path, "");
  CHECK(report.status == LoadStatus::kUntrusted);
  CHECK(report.reason.find(" is writable by group or others (mode 07") != std::string::npos);
}

TEST_CASE("permissions: a library writable by others is refused", "[permissions]") {
  TempDir dir;
  const auto path = stage(fixture::kDeferAll, dir);
  std::filesystem::permissions(path, perms::owner_all | perms::others_write);
  const LibraryReport report = open_library(path, "");
  CHECK(report.status == LoadStatus::kUntrusted);
  CHECK(report.reason == path.string() + " is writable by group or others (mode 0702)");
}

TEST_CASE("permissions: a library writable by its group is refused", "[permissions]") {
  TempDir dir;
  const auto path = stage(fixture::kDeferAll, dir);
  std::filesystem::permissions(path, perms::owner_all | perms::group_write);
  const LibraryReport report = open_library(path, "");
  CHECK(report.status == LoadStatus::kUntrusted);
  CHECK(report.reason == path.string() + " is writable by group or others (mode 0720)");
}

TEST_CASE("permissions: a directory further up writable by others is refused", "[permissions]") {
  TempDir dir;
  const auto wide = dir.path() / "wide";
  const auto plugins = wide / "lib" / "plugins";
  std::filesystem::create_directories(plugins);
  std::filesystem::permissions(wide, perms::all);  // 0777, not sticky
  const LibraryReport report = open_library(stage(fixture::kDeferAll, plugins), "");
  CHECK(report.status == LoadStatus::kUntrusted);
  CHECK(report.reason == wide.string() + " is writable by group or others (mode 0777)");
}

TEST_CASE("permissions: a sticky directory up the path is trusted only when root owns it",
          "[permissions]") {
  // Like /tmp: others may create entries there but not replace ours.
  TempDir dir;
  const auto shared = dir.path() / "shared";
  const auto plugins = shared / "plugins";
  std::filesystem::create_directories(plugins);
  REQUIRE(::chmod(shared.c_str(), 01777) == 0);
  const LibraryReport report = open_library(stage(fixture::kDeferAll, plugins), "");
  if (::geteuid() == 0) {
    CHECK(report.status == LoadStatus::kOk);
  } else {
    CHECK(report.status == LoadStatus::kUntrusted);
    CHECK(report.reason == shared.string() + " is writable by group or others (mode 1777)");
  }
}

TEST_CASE("permissions: a library that is a symbolic link is refused, even to a trusted file",
          "[permissions]") {
  TempDir trusted;
  const auto real = stage(fixture::kDeferAll, trusted);
  TempDir dir;
  const auto link = dir.path() / "libkdb_linked.so";
  std::filesystem::create_symlink(real, link);

  LibraryReport report = open_library(link, "");
  CHECK(report.status == LoadStatus::kUntrusted);
  CHECK(report.reason == link.string() + " is a symbolic link (to " + real.string() +
                             "); name the library file itself, plugins are not loaded through "
                             "links");

  // As reported in the security review: a world-writable plugin dir holding the link.
  std::filesystem::permissions(dir.path(), perms::all);
  report = open_library(link, "");
  CHECK(report.status == LoadStatus::kUntrusted);
  CHECK(report.reason == dir.path().string() + " is writable by group or others (mode 0777)");
}

TEST_CASE("permissions: a linked plugin directory is followed and its target checked",
          "[permissions]") {
  TempDir target;
  const auto good = target.path() / "good";
  const auto wide = target.path() / "wide";
  std::filesystem::create_directories(good);
  std::filesystem::create_directories(wide / "plugins");
  std::filesystem::permissions(wide, perms::all);
  stage(fixture::kDeferAll, good);
  stage(fixture::kDeferAll, wide / "plugins");
  TempDir dir;
  std::filesystem::create_directory_symlink(good, dir.path() / "good-link");
  std::filesystem::create_directory_symlink(wide / "plugins", dir.path() / "wide-link");
  const auto name = std::filesystem::path(fixture::kDeferAll).filename();

  const LibraryReport followed = open_library(dir.path() / "good-link" / name, "");
  CHECK(followed.status == LoadStatus::kOk);
  CHECK(followed.path == dir.path() / "good-link" / name);

  const LibraryReport refused = open_library(dir.path() / "wide-link" / name, "");
  CHECK(refused.status == LoadStatus::kUntrusted);
  CHECK(refused.reason == wide.string() + " is writable by group or others (mode 0777)");
}

TEST_CASE("permissions: a library owned by another user is refused", "[permissions]") {
  if (::geteuid() != 0) {
    WARN("skipped: only root can give a file to another user");
    return;
  }
  TempDir dir;
  const auto path = stage(fixture::kDeferAll, dir);
  REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
  const LibraryReport report = open_library(path, "");
  CHECK(report.status == LoadStatus::kUntrusted);
  CHECK(report.reason.find("is owned by uid 65534") != std::string::npos);
}

}  // namespace keepdb::plugin_host::testing
