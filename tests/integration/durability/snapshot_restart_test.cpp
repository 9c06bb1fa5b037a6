// Snapshots copy nothing and restarts do not rebuild the state: a node holding many keys
// compacts its log behind small descriptors (the snapshot file is a few bytes, whatever the
// data), and after kill -9 or SIGTERM it comes back with every key without restoring a
// snapshot image, in time bounded by its log rather than by its data.
#include <catch2/catch.hpp>

#include <chrono>
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
