// The trusted-file rule: a plugin or its directory writable by group/others, or owned by
// another user, is refused.
#include <unistd.h>
#include <catch2/catch.hpp>

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
