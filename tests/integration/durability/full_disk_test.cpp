// A full disk: keepd's data dir on a 20 MiB tmpfs filled by a ballast file. The node answers
// writes it cannot persist with a MISCONF error on an open connection, logs the cause once,
// keeps serving reads, resumes by itself once the ballast is deleted, and keeps every
// acknowledged write across a restart. Mounting needs root (CI runs the tests as root):
// without it the test is skipped with a warning.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/small_filesystem.h"
#include "tests/integration/harness/temp_dir.h"

using namespace keepdb::integration;

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("a full disk refuses writes with MISCONF, serves reads and resumes by itself",
          "[full-disk]") {
  TempDir outside("full-disk");
  SmallFilesystem filesystem(outside / "fs", "20m");
  if (!filesystem.mounted()) {
    WARN("skipped: cannot mount a tmpfs (the test needs root)");
    return;
  }
  KeepdSettings settings("full-disk");
  settings.data_dir = (outside / "fs" / "data").string();
  KeepdProcess keepd(settings);
  RawClient client(keepd.port());
  REQUIRE(client.command({"SET", "first", "v"}).text == "OK");

  const auto ballast = outside / "fs" / "ballast";
  write_ballast(ballast, filesystem.free_bytes() - (1u << 20));

  const std::string value(2048, 'v');
  std::vector<std::string> acknowledged{"first"};
  std::string refusal;
  for (int i = 0; i < 20000 && refusal.empty(); ++i) {
    const std::string key = "key-" + std::to_string(i);
    const RespValue reply = client.command({"SET", key, value});
    REQUIRE_FALSE(client.closed());
    if (reply.text == "OK") {
      acknowledged.push_back(key);
    } else {
      refusal = reply.text;
    }
  }
  INFO(refusal);
  REQUIRE(refusal.rfind("MISCONF KeepDB cannot write to disk", 0) == 0);
  // LMDB reports a short write (a full disk) as EIO; the raft log reports ENOSPC.
  CHECK((refusal.find("No space left on device") != std::string::npos ||
         refusal.find("Input/output error") != std::string::npos));
  CHECK(refusal.find(keepd.data_dir().string()) != std::string::npos);

  // Later writes get the same refusal on the same connection; reads are still served.
  const RespValue again = client.command({"SET", "refused", value});
  CHECK(again.text.rfind("MISCONF", 0) == 0);
  CHECK(again.text.find("writes are refused until it can write again") != std::string::npos);
  CHECK_FALSE(client.closed());
  CHECK(client.command({"GET", acknowledged.back()}).text == value);
  CHECK(client.command({"GET", "first"}).text == "v");
  CHECK(count_of(keepd.log(), "cannot write to disk") == 1);
  CHECK(keepd.running());

  std::filesystem::remove(ballast);
  CHECK(poll_until([&] { return client.command({"SET", "after", "v"}).text == "OK"; }, 30s, 50ms));
  acknowledged.push_back("after");
  CHECK(keepd.wait_for_log("writes resume"));

  keepd.stop();
  keepd.restart();
  RawClient reader(keepd.port());
  for (const std::string& key : acknowledged) {
    INFO(key);
    CHECK(!reader.command({"GET", key}).text.empty());
  }
}
