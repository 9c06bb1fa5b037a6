// The optional sha256 pin: checked against the file's bytes before anything is loaded.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>

#include "kernel/plugin_host/library_loader.h"
#include "kernel/plugin_host/plugin_set.h"
#include "tests/plugin_abi/host/fixture_paths.h"
#include "tests/plugin_abi/host/test_support.h"

namespace keepdb::plugin_host::testing {
namespace {
const std::string kWrongPin(64, 'a');
}

TEST_CASE("sha256 pin: the right pin loads, in either case", "[pin]") {
  TempDir dir;
  const auto path = stage(fixture::kDenyAll, dir);
  std::string pin = sha256_of(path);
  CHECK(open_library(path, pin).status == LoadStatus::kOk);
  std::transform(pin.begin(), pin.end(), pin.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  CHECK(open_library(path, pin).status == LoadStatus::kOk);
}

TEST_CASE("sha256 pin: a wrong pin refuses the library", "[pin]") {
  TempDir dir;
  const auto path = stage(fixture::kDeferAll, dir);
  const LibraryReport report = open_library(path, kWrongPin);
  CHECK(report.status == LoadStatus::kChecksumMismatch);
  CHECK(report.reason == "sha256 is " + sha256_of(path) + ", the pin expects " + kWrongPin);

  RecordingLogSink log;
  CHECK_THROWS_WITH(PluginSet::load(plugins({{"p", path, {}, kWrongPin}}), log),
                    Catch::StartsWith("plugin 'p' (") && Catch::Contains("checksum mismatch"));
}

TEST_CASE("sha256 pin: checked before the file is even opened as a library", "[pin]") {
  TempDir dir;
  // Without a pin this file is "not a shared object"; with a wrong pin the checksum
  // verdict comes first, so nothing of the file was ever handed to the loader.
  CHECK(open_library(stage(fixture::kNotALibrary, dir), kWrongPin).status ==
        LoadStatus::kChecksumMismatch);
}

TEST_CASE("sha256 pin: a mismatch runs none of the library's code, not even a constructor",
          "[pin]") {
  TempDir dir;
  const auto marker = dir.path() / "constructor-ran";
  const MarkerEnv env(marker);
  const auto path = stage(fixture::kConstructorMarker, dir);
  CHECK(open_library(path, kWrongPin).status == LoadStatus::kChecksumMismatch);
  CHECK_FALSE(std::filesystem::exists(marker));
  // The marker works: with the right pin the library loads and its constructor runs.
  CHECK(open_library(path, sha256_of(path)).status == LoadStatus::kOk);
  CHECK(std::filesystem::exists(marker));
}

}  // namespace keepdb::plugin_host::testing
