// Snapshots copy nothing and restarts do not rebuild the state: a node holding many keys
// compacts its log behind small descriptors (the snapshot file is a few bytes, whatever the
// data), and after kill -9 or SIGTERM it comes back with every key without restoring a
// snapshot image, in time bounded by its log rather than by its data; the log it replays
// stays bounded by snapshot_threshold_bytes however many keys it holds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"

using namespace keepdb::integration;

namespace {

constexpr int kKeys = 60000;
constexpr int kKeysPerMset = 500;

// MSETs kKeys keys of 64-byte values, one log entry per MSET.
void load_keys(std::uint16_t port) {
  RawClient client(port);
  std::vector<std::vector<std::string>> batch;
  for (int first = 0; first < kKeys; first += kKeysPerMset) {
    std::vector<std::string> mset{"MSET"};
    for (int key = first; key < first + kKeysPerMset; ++key) {
      mset.push_back("key:" + std::to_string(key));
      mset.push_back(std::string(64, static_cast<char>('a' + key % 26)));
    }
    batch.push_back(std::move(mset));
    if (batch.size() == 10) {
      for (const RespValue& reply : client.pipeline(batch)) REQUIRE(reply.text == "OK");
      batch.clear();
    }
  }
  for (const RespValue& reply : client.pipeline(batch)) REQUIRE(reply.text == "OK");
}

// Every regular file under `directory`, summed.
std::uintmax_t bytes_under(const std::filesystem::path& directory) {
  std::uintmax_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

}  // namespace

TEST_CASE("a node with many keys snapshots a descriptor and restarts without an image",
          "[durability][snapshot]") {
  KeepdSettings settings("snapshot-restart");
  settings.cluster_key("snapshot_threshold", 16).cluster_key("snapshot_trailing", 8);
  KeepdProcess keepd(settings);
  load_keys(keepd.port());
  RawClient(keepd.port()).command({"SET", "last", "written"});
  // 121 entries with a threshold of 16: several compactions, each a descriptor of 17 bytes.
  CHECK(bytes_under(keepd.data_dir() / "raft" / "snapshots") < 64);

  for (const bool crash : {true, false}) {
    INFO((crash ? "kill -9" : "SIGTERM"));
    if (crash) {
      keepd.kill9();
    } else {
      keepd.stop();
    }
    const auto started = std::chrono::steady_clock::now();
    keepd.restart();  // returns once it is ready for clients
    const auto restart = std::chrono::steady_clock::now() - started;
    RawClient client(keepd.port());
    CHECK(client.command({"PING"}).text == "PONG");
    CHECK(client.command({"DBSIZE"}).integer == kKeys + 1);
    CHECK(client.command({"GET", "key:12345"}).text == std::string(64, 'a' + 12345 % 26));
    CHECK(client.command({"GET", "last"}).text == "written");
    CHECK(keepd.log().find("restored the key-value store") == std::string::npos);
    // Generous for a sanitizer build on a loaded machine; the release measurement with
    // millions of keys is bench/snapshot-stall.sh.
    CHECK(restart < std::chrono::seconds(10));
  }
}

// What a restart replays is bounded by [cluster] snapshot_threshold_bytes, not by the data:
// 40 MiB of distinct keys go through a node compacting every 1 MiB, and its log on disk (all
// a restart reads) stays within the threshold, the half of it kept behind a snapshot, one
// segment (a quarter of the threshold, at least 1 MiB) not yet deleted and the entries of one
// pipelined batch written while a compaction is being stored. So does the log after kill -9
// and a restart, which brings every key back.
TEST_CASE("the log a restart replays stays bounded by snapshot_threshold_bytes as keys grow",
          "[durability][snapshot]") {
  constexpr std::uint64_t kThresholdBytes = 1u << 20;
  constexpr int kMsets = 400;
  constexpr int kKeysPerEntry = 100;
  constexpr std::size_t kValueBytes = 1000;
  constexpr int kPipelined = 10;
  constexpr std::uintmax_t kBatchBytes = kPipelined * kKeysPerEntry * (kValueBytes + 32);
  constexpr std::uintmax_t kLogBoundBytes =
      kThresholdBytes + kThresholdBytes / 2 + (1u << 20) + kBatchBytes;
  KeepdProcess keepd(KeepdSettings("replay-bound")
                         .cluster_key("snapshot_threshold_bytes", kThresholdBytes));
  const std::filesystem::path log_dir = keepd.data_dir() / "raft" / "log";
  RawClient client(keepd.port());
  std::uintmax_t largest_log = 0;
  std::vector<std::vector<std::string>> batch;
  for (int entry = 0; entry < kMsets; ++entry) {
    std::vector<std::string> mset{"MSET"};
    for (int key = entry * kKeysPerEntry; key < (entry + 1) * kKeysPerEntry; ++key) {
      mset.push_back("key:" + std::to_string(key));
      mset.push_back(std::string(kValueBytes, static_cast<char>('a' + key % 26)));
    }
    batch.push_back(std::move(mset));
    if (batch.size() < kPipelined) continue;
    for (const RespValue& reply : client.pipeline(batch)) REQUIRE(reply.text == "OK");
    batch.clear();
    largest_log = std::max(largest_log, bytes_under(log_dir));
  }
  INFO("largest log on disk while loading: " << largest_log << " bytes");
  CHECK(largest_log <= kLogBoundBytes);
  const std::uintmax_t data_bytes = kMsets * kKeysPerEntry * kValueBytes;
  CHECK(bytes_under(keepd.data_dir() / "kv") > data_bytes);  // the keys are in LMDB

  keepd.kill9();
  const std::uintmax_t replayed = bytes_under(log_dir);
  INFO("log read by the restart: " << replayed << " bytes");
  CHECK(replayed <= kLogBoundBytes);
  keepd.restart();
  RawClient after(keepd.port());
  CHECK(after.command({"DBSIZE"}).integer == kMsets * kKeysPerEntry);
  CHECK(after.command({"GET", "key:39999"}).text == std::string(kValueBytes, 'a' + 39999 % 26));
  CHECK(bytes_under(log_dir) <= kLogBoundBytes);
}
