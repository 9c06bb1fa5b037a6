// A server whose raft log was lost or replaced by an older one (its key-value store has
// applied entries past the log's end) refuses to start with a line that says so and what to
// do, instead of serving with every write failing; once the log is put back it starts with
// its data.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"

using namespace keepdb::integration;
using namespace std::chrono_literals;

TEST_CASE("a server whose raft log is gone refuses to start, and starts once it is back",
          "[durability][lost_log]") {
  KeepdProcess keepd(KeepdSettings("lost-raft-log"));
  {
    RawClient client(keepd.port());
    for (int i = 0; i < 20; ++i) {
      REQUIRE(client.command({"SET", std::string("key").append(std::to_string(i)), "value"}).text == "OK");
    }
  }
  REQUIRE(keepd.stop().exited_normally(0));
  const std::filesystem::path raft = keepd.data_dir() / "raft";
  const std::filesystem::path moved = keepd.data_dir().parent_path() / "raft-moved-away";
  std::filesystem::rename(raft, moved);

  const std::string log = keepd.restart_expecting_exit(20s);
  CHECK_THAT(log, Catch::Contains("the key-value store has applied raft log entries up to index"));
  CHECK_THAT(log, Catch::Contains("the raft log was lost, or replaced by an older one; exiting: "
                                  "put back this server's raft log"));

  std::filesystem::remove_all(raft);  // what the refused start created
  std::filesystem::rename(moved, raft);
  keepd.restart();
  RawClient client(keepd.port());
  CHECK(client.command({"GET", "key19"}).text == "value");
  CHECK(client.command({"SET", "after", "1"}).text == "OK");
  CHECK(client.command({"DBSIZE"}).integer == 21);
}
