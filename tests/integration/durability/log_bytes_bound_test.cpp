// Compaction by bytes ([cluster] snapshot_threshold_bytes): large values written again and
// again to one key leave the node's memory, its data dir and what a restart replays bounded
// by the threshold, not by the entry count (before, 40 values of 1 MiB stayed in the log:
// 40 entries are far under snapshot_threshold = 1024).
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/process_memory.h"
#include "tests/integration/harness/raw_client.h"

using namespace keepdb::integration;

namespace {

constexpr std::uint64_t kThresholdBytes = 8u << 20;
constexpr std::size_t kValueBytes = 1u << 20;
constexpr int kWrites = 40;
// The log holds at most the threshold, half of it behind the snapshot, one entry and a
// 2 MiB segment not yet deleted; the snapshot and the key-value file hold the value.
constexpr std::uintmax_t kDataDirBoundBytes = 24u << 20;

constexpr std::size_t kResidentGrowthBoundKib = 48u << 10;

std::uintmax_t directory_bytes(const std::filesystem::path& directory) {
  std::uintmax_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

std::string value_number(int i) {
  return std::string(kValueBytes, static_cast<char>('a' + i % 26));
}

}  // namespace

TEST_CASE("large values rewritten to one key keep the log, memory and restart bounded by bytes",
          "[durability][log-bytes]") {
  KeepdProcess keepd(
      KeepdSettings("log-bytes").cluster_key("snapshot_threshold_bytes", kThresholdBytes));
  RawClient client(keepd.port());
  REQUIRE(client.command({"SET", "onekey", "small"}).text == "OK");
  const std::size_t before_kib = resident_kib(keepd.pid());
  for (int i = 0; i < kWrites; ++i) {
    REQUIRE(client.command({"SET", "onekey", value_number(i)}).text == "OK");
  }
  CHECK(client.command({"DBSIZE"}).integer == 1);
  CHECK(directory_bytes(keepd.data_dir()) < kDataDirBoundBytes);
  CHECK(resident_kib(keepd.pid()) < before_kib + sanitized_growth_kib(kResidentGrowthBoundKib));

  keepd.kill9();
  const auto restart_began = std::chrono::steady_clock::now();
  keepd.restart();
  RawClient after(keepd.port());
  CHECK(after.command({"GET", "onekey"}).text == value_number(kWrites - 1));
  CHECK(std::chrono::steady_clock::now() - restart_began < std::chrono::seconds(10));
  CHECK(directory_bytes(keepd.data_dir()) < kDataDirBoundBytes);
}
