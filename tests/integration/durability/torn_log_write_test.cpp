// A write of the raft log torn by a crash of the machine: the disk kept later sectors of one
// write but not an earlier one, which reads as the zeros the log's space held. The node
// starts, says in its log what it cut, and serves every entry before the lost sector; the
// entries from the lost sector on, never synced and so never acknowledged, are gone.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "tests/integration/durability/raft_log_append.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"

using namespace keepdb::integration;

namespace {

constexpr int kTornEntries = 8;
constexpr std::size_t kValueBytes = 300;

std::string torn_key(int i) {
  std::string key = "torn:";
  return key.append(std::to_string(i));
}

// One write batch: SET torn:<i> <kValueBytes bytes>.
std::string set_batch(int i) {
  keepdb::commands::OpBatchBuilder batch;
  const std::string key = torn_key(i);
  const std::string value(kValueBytes, 'v');
  const std::string_view args[] = {"SET", key, value};
  batch.add(args);
  return batch.take(0);
}

std::filesystem::path last_segment(const std::filesystem::path& data_dir) {
  std::vector<std::filesystem::path> segments;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir / "raft" / "log")) {
    segments.push_back(entry.path());
  }
  REQUIRE(!segments.empty());
  return *std::max_element(segments.begin(), segments.end());
}

// Zeros the first whole 512-byte sector after the first occurrence of `marker` in `path`.
void lose_sector_after(const std::filesystem::path& path, const std::string& marker) {
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::size_t at = bytes.find(marker);
  REQUIRE(at != std::string::npos);
  const std::size_t sector = (at / 512 + 1) * 512;
  REQUIRE(sector + 512 < bytes.size());
  std::fstream out(path, std::ios::in | std::ios::out | std::ios::binary);
  out.seekp(static_cast<std::streamoff>(sector));
  const std::string zeros(512, '\0');
  out.write(zeros.data(), zeros.size());
}

}  // namespace

TEST_CASE("a raft log write torn by a machine crash is cut at its lost sector, and the node "
          "serves what came before",
          "[durability][torn-write]") {
  KeepdProcess keepd(KeepdSettings("torn-write"));
  write_a_key_and_stop(keepd);
  std::vector<std::string> batches;
  for (int i = 1; i <= kTornEntries; ++i) batches.push_back(set_batch(i));
  append_raft_entries(keepd.data_dir(), batches);
  // Entries 1 to 3 end before torn:4's key; the lost sector comes after it, and entries 6
  // to 8 (at least) stay intact behind it.
  lose_sector_after(last_segment(keepd.data_dir()), torn_key(4));

  keepd.restart();
  CHECK(keepd.wait_for_log("raft log repaired at start: cut "));
  CHECK(keepd.wait_for_log("a torn write that never completed its sync"));
  RawClient client(keepd.port());
  CHECK(client.command({"GET", "before"}).text == "1");
  for (int i = 1; i <= 3; ++i) {
    CHECK(client.command({"GET", torn_key(i)}).text == std::string(kValueBytes, 'v'));
  }
  CHECK(client.command({"GET", torn_key(kTornEntries)}).null);
  // The log goes on where it was cut: a new write, then a restart that finds nothing to cut.
  REQUIRE(client.command({"SET", "after", "2"}).text == "OK");
  REQUIRE(keepd.stop().exited_normally(0));
  keepd.restart();
  RawClient again(keepd.port());
  CHECK(again.command({"GET", "after"}).text == "2");
  CHECK(again.command({"GET", torn_key(2)}).text == std::string(kValueBytes, 'v'));
}
