// A server whose raft log was lost (its key-value store has applied entries, its log is
// empty) refuses to start with a line that says so and what to do, instead of serving with
// every write failing; once the log is put back it starts with its data. The log may live in
// a directory of its own (storage.log_dir).
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
      const std::string key = std::string("key").append(std::to_string(i));
      REQUIRE(client.command({"SET", key, "value"}).text == "OK");
    }
  }
  REQUIRE(keepd.stop().exited_normally(0));
  const std::filesystem::path raft = keepd.data_dir() / "raft";
  const std::filesystem::path moved = keepd.data_dir().parent_path() / "raft-moved-away";
  std::filesystem::rename(raft, moved);

  const std::string log = keepd.restart_expecting_exit(20s);
  CHECK_THAT(log, Catch::Contains("the key-value store has applied raft log entries up to index"));
  CHECK_THAT(log, Catch::Contains("but this server's raft log was empty: it was lost, or "
                                  "storage.log_dir names another directory"));
  CHECK_THAT(log, Catch::Contains("; exiting: put back this server's raft log"));

  std::filesystem::remove_all(raft);  // what the refused start created
  std::filesystem::rename(moved, raft);
  keepd.restart();
  RawClient client(keepd.port());
  CHECK(client.command({"GET", "key19"}).text == "value");
  CHECK(client.command({"SET", "after", "1"}).text == "OK");
  CHECK(client.command({"DBSIZE"}).integer == 21);
}

TEST_CASE("the raft log in storage.log_dir: writes survive kill -9, and the data dir has no log",
          "[durability][log_dir]") {
  KeepdSettings settings("log-dir");
  settings.log_dir = "log-disk/raft";
  KeepdProcess keepd(settings);
  {
    RawClient client(keepd.port());
    REQUIRE(client.command({"SET", "kept", "1"}).text == "OK");
    REQUIRE(client.command({"INCR", "kept"}).integer == 2);
  }
  keepd.kill9();
  const std::filesystem::path log_dir = keepd.dir() / "log-disk" / "raft";
  CHECK_FALSE(std::filesystem::exists(keepd.data_dir() / "raft"));
  REQUIRE(std::filesystem::is_directory(log_dir / "log"));
  CHECK_FALSE(std::filesystem::is_empty(log_dir / "log"));
  CHECK((std::filesystem::status(log_dir).permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms::owner_all);
  keepd.restart();
  RawClient client(keepd.port());
  CHECK(client.command({"GET", "kept"}).text == "2");
  CHECK(keepd.log().find("raft log in " + log_dir.string()) != std::string::npos);

  // With its log moved away, the node finds an empty log directory and refuses.
  REQUIRE(keepd.stop().exited_normally(0));
  std::filesystem::rename(log_dir, keepd.dir() / "elsewhere");
  CHECK_THAT(keepd.restart_expecting_exit(20s),
             Catch::Contains("but this server's raft log was empty"));
}
