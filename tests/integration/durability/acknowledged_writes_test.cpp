// Durability of acknowledged writes: a write load from several concurrent clients is cut
// by kill -9 or by SIGTERM (graceful shutdown); after a restart on the same data dir every
// SET that was answered +OK is there with its value. Also: writes applied only in the open
// write window (not yet committed to LMDB) come back from the log after kill -9.
#include <catch2/catch.hpp>

#include <signal.h>

#include "tests/integration/durability/write_load.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"

using namespace keepdb::integration;

namespace {

constexpr int kClients = 8;
constexpr std::size_t kAcknowledgedBeforeCut = 2000;

// Reads every acknowledged key back (MGET in chunks) and checks its value, and that each
// client's sequence key is at least the last sequence number acknowledged for it.
void check_acknowledged_writes_survived(std::uint16_t port, const WriteLoad& load) {
  const auto expected = load.acknowledged();
  REQUIRE(expected.size() >= kAcknowledgedBeforeCut);
  RawClient client(port);
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::size_t missing = 0;
  const auto check_chunk = [&] {
    std::vector<std::string> mget = {"MGET"};
    mget.insert(mget.end(), keys.begin(), keys.end());
    const RespValue reply = client.command(mget);
    REQUIRE(reply.elements.size() == keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (reply.elements[i].text != values[i]) {
        ++missing;
        UNSCOPED_INFO("lost acknowledged write: " << keys[i]);
      }
    }
    keys.clear();
    values.clear();
  };
  for (const auto& [key, value] : expected) {
    keys.push_back(key);
    values.push_back(value);
    if (keys.size() == 500) check_chunk();
  }
  if (!keys.empty()) check_chunk();
  CHECK(missing == 0);

  for (int i = 0; i < kClients; ++i) {
    const std::int64_t acknowledged = load.last_sequence()[i];
    if (acknowledged < 0) continue;
    const RespValue stored = client.command({"GET", WriteLoad::sequence_key(i)});
    INFO(WriteLoad::sequence_key(i));
    REQUIRE_FALSE(stored.null);
    CHECK(std::stoll(stored.text) >= acknowledged);
  }
}

}  // namespace

TEST_CASE("kill -9 during a concurrent write load loses no acknowledged write", "[durability]") {
  KeepdProcess keepd(KeepdSettings("crash"));
  WriteLoad load(keepd.port(), kClients);
  REQUIRE(load.wait_for_acknowledged(kAcknowledgedBeforeCut, 60s));
  CHECK(keepd.kill9().signal == SIGKILL);
  REQUIRE(load.wait_finished(kStopTimeout));
  keepd.restart();
  check_acknowledged_writes_survived(keepd.port(), load);
}

TEST_CASE("kill -9 while applied writes are only in the open write window: the log replays "
          "them",
          "[durability]") {
  // A window that stays open for a second: the kill lands before any of it is committed to
  // the key-value store, so every answered write comes back from the raft log alone.
  KeepdProcess keepd(KeepdSettings("window-crash").storage_key("commit_interval_ms", 1000));
  RawClient client(keepd.port());
  for (int i = 0; i < 50; ++i) {
    REQUIRE(client.command({"SET", "w" + std::to_string(i), "v" + std::to_string(i)}).text ==
            "OK");
  }
  REQUIRE(client.command({"DEL", "w0"}).integer == 1);
  REQUIRE(client.command({"GET", "w1"}).text == "v1");  // read through the open window
  CHECK(keepd.kill9().signal == SIGKILL);
  keepd.restart();
  RawClient after(keepd.port());
  CHECK(after.command({"GET", "w0"}).null);
  for (int i = 1; i < 50; ++i) {
    INFO(i);
    CHECK(after.command({"GET", "w" + std::to_string(i)}).text == "v" + std::to_string(i));
  }
}

TEST_CASE("SIGTERM during a write load shuts down cleanly and keeps acknowledged writes",
          "[durability][shutdown]") {
  KeepdProcess keepd(KeepdSettings("sigterm-load"));
  WriteLoad load(keepd.port(), kClients);
  REQUIRE(load.wait_for_acknowledged(kAcknowledgedBeforeCut, 60s));
  const ExitStatus status = keepd.stop();
  INFO(keepd.log());
  CHECK(status.exited_normally(0));
  CHECK(keepd.log().find("received SIGTERM") != std::string::npos);
  CHECK(keepd.log().find("stopped cleanly") != std::string::npos);
  REQUIRE(load.wait_finished(kStopTimeout));
  keepd.restart();
  check_acknowledged_writes_survived(keepd.port(), load);
}

TEST_CASE("SIGINT with idle clients connected shuts down cleanly", "[shutdown]") {
  KeepdProcess keepd(KeepdSettings("sigint"));
  RawClient idle(keepd.port());
  RawClient in_request(keepd.port());
  REQUIRE(idle.command({"SET", "k", "v"}).text == "OK");
  REQUIRE(in_request.send("*2\r\n$3\r\nGET\r\n"));  // a request left unfinished
  keepd.send_signal(SIGINT);
  CHECK(idle.wait_closed(kStopTimeout));
  CHECK(in_request.wait_closed(kStopTimeout));
  const auto status = keepd.wait_exit();
  REQUIRE(status.has_value());
  CHECK(status->exited_normally(0));
  CHECK(keepd.log().find("received SIGINT") != std::string::npos);
  CHECK(keepd.log().find("stopped cleanly") != std::string::npos);
}

TEST_CASE("data written through redis-cli survives a restart, FLUSHDB too", "[durability]") {
  KeepdProcess keepd(KeepdSettings("restart"));
  const auto cli = [&] { return RedisCli(keepd.port()); };
  REQUIRE(cli().raw({"MSET", "a", "1", "b", "2"}) == "OK");
  REQUIRE(cli().raw({"INCRBY", "a", "41"}) == "42");
  REQUIRE(cli().raw({"APPEND", "b", "xy"}) == "3");
  REQUIRE(keepd.stop().exited_normally(0));
  keepd.restart();
  CHECK(cli().raw({"MGET", "a", "b"}) == "42\n2xy");
  CHECK(cli().raw({"DBSIZE"}) == "2");

  REQUIRE(cli().raw({"FLUSHDB"}) == "OK");
  keepd.kill9();
  keepd.restart();
  CHECK(cli().raw({"DBSIZE"}) == "0");
}
