// The library loaded is the file that was checked: check_library holds the file open and
// load_library loads that descriptor (/proc/self/fd/N), never the path again, so a file
// renamed over the path between the checks and the load never runs.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <utility>

#include "kernel/plugin_host/library_loader.h"
#include "tests/plugin_abi/host/fixture_paths.h"
#include "tests/plugin_abi/host/test_support.h"

namespace keepdb::plugin_host::testing {

TEST_CASE("checked file: a library renamed over the path after the checks is not loaded",
          "[checked-file]") {
  TempDir dir;
  const auto marker = dir.path() / "constructor-ran";
  const MarkerEnv env(marker);
  const auto path = dir.path() / "libplugin.so";
  std::filesystem::rename(stage(fixture::kDenyAll, dir), path);
  CheckedLibrary checked = check_library(path, sha256_of(path));
  REQUIRE(checked.report.status == LoadStatus::kOk);
  CHECK(checked.report.descriptor == nullptr);  // checked, not loaded yet

  // The race, made deterministic: another library takes the path before the load.
  std::filesystem::rename(stage(fixture::kConstructorMarker, dir), path);

  const LibraryReport loaded = load_library(std::move(checked));
  REQUIRE(loaded.status == LoadStatus::kOk);
  CHECK(loaded.path == path);
  CHECK(std::string(loaded.descriptor->name) == "deny-all");
  CHECK_FALSE(std::filesystem::exists(marker));  // none of the newcomer's code ran

  // Asked again, the host sees the new bytes and refuses them until a restart.
  const LibraryReport again = open_library(path, "");
  CHECK(again.status == LoadStatus::kLoadError);
  CHECK(again.reason == "the file changed since this process loaded it; restart keepd to use it");
  CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("checked file: a refused check loads nothing when handed to load_library",
          "[checked-file]") {
  TempDir dir;
  const auto marker = dir.path() / "constructor-ran";
  const MarkerEnv env(marker);
  CheckedLibrary checked =
      check_library(stage(fixture::kConstructorMarker, dir), std::string(64, 'a'));
  REQUIRE(checked.report.status == LoadStatus::kChecksumMismatch);
  CHECK(load_library(std::move(checked)).status == LoadStatus::kChecksumMismatch);
  CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("checked file: libraries loaded one after another each load their own file",
          "[checked-file]") {
  // The dynamic loader knows a loaded object by the name it was opened under; the
  // registry keeps each /proc/self/fd/N taken so the next library cannot be mistaken
  // for the previous one.
  TempDir dir;
  for (const auto& [built, name] :
       {std::pair{fixture::kDenyAll, "deny-all"}, std::pair{fixture::kDeferAll, "defer-all"},
        std::pair{fixture::kFrozenV1_0, "frozen-v1-0"}}) {
    const LibraryReport report = open_library(stage(built, dir), "");
    REQUIRE(report.status == LoadStatus::kOk);
    CHECK(std::string(report.descriptor->name) == name);
  }
}

}  // namespace keepdb::plugin_host::testing
