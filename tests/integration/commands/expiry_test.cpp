// Expiry on a real keepd: keys vanish at their deadline, the leader's active expiry
// reclaims them through the log (INFO's expired_keys and DBSIZE), and a deadline is an
// absolute time that survives a crash and restart unchanged.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/info_text.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"

using namespace keepdb::integration;

TEST_CASE("keys with a TTL vanish at their deadline and active expiry reclaims them",
          "[expiry]") {
  KeepdProcess keepd(KeepdSettings("expiry-active"));
  RawClient client(keepd.port());
  // More than two sweep rounds' worth (256 keys each), so full rounds follow each other.
  constexpr int kVolatile = 600;
  std::vector<std::vector<std::string>> sets;
  for (int i = 0; i < kVolatile; ++i) {
    sets.push_back({"SET", "volatile:" + std::to_string(i), "v", "PX", "200"});
  }
  for (const RespValue& reply : client.pipeline(sets)) REQUIRE(reply.text == "OK");
  REQUIRE(client.command({"SET", "persistent", "v"}).text == "OK");
  REQUIRE(client.command({"SET", "later", "v", "EX", "1000"}).text == "OK");

  CHECK(poll_until([&] { return client.command({"GET", "volatile:0"}).null; }, kReplyTimeout));
  CHECK(poll_until([&] { return client.command({"DBSIZE"}).integer == 2; }, kReplyTimeout));
  CHECK(info_field(client.command({"INFO", "stats"}).text, "expired_keys") ==
        std::to_string(kVolatile));
  CHECK(client.command({"GET", "persistent"}).text == "v");
  const std::int64_t ttl = client.command({"TTL", "later"}).integer;
  CHECK(ttl > 990);
  CHECK(ttl <= 1000);
  CHECK(client.command({"EXISTS", "volatile:1", "volatile:599"}).integer == 0);
}

TEST_CASE("a deadline is absolute: kill -9 and restart keep it exactly, and time runs on",
          "[expiry]") {
  KeepdProcess keepd(KeepdSettings("expiry-restart"));
  std::int64_t deadline = 0;
  {
    RawClient client(keepd.port());
    REQUIRE(client.command({"SET", "later", "v", "EX", "1000"}).text == "OK");
    REQUIRE(client.command({"SET", "soon", "v", "PX", "300"}).text == "OK");
    deadline = client.command({"PEXPIRETIME", "later"}).integer;
    REQUIRE(deadline > 0);
  }
  keepd.kill9();
  keepd.restart();
  RawClient client(keepd.port());
  CHECK(client.command({"PEXPIRETIME", "later"}).integer == deadline);
  CHECK(client.command({"GET", "later"}).text == "v");
  CHECK(poll_until([&] { return client.command({"GET", "soon"}).null; }, kReplyTimeout));
  CHECK(poll_until([&] { return client.command({"DBSIZE"}).integer == 1; }, kReplyTimeout));
}

TEST_CASE("expiry commands refuse bad input and leave the key as it was", "[expiry]") {
  KeepdProcess keepd(KeepdSettings("expiry-errors"));
  RawClient client(keepd.port());
  REQUIRE(client.command({"SET", "k", "v"}).text == "OK");
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"SET", "k", "x", "EX", "0"},
        {"SET", "k", "x", "PX", "not-a-number"},
        {"SET", "k", "x", "EX", "9223372036854775807"},
        {"EXPIRE", "k", "10", "NX", "XX"},
        {"EXPIRE", "k", "10", "BOGUS"},
        {"PEXPIRE", "k", "9223372036854775807"},
        {"GETEX", "k", "EX", "-1"},
        {"SETEX", "k", "0", "x"},
        {"EXPIRE", std::string(600, 'k'), "10"},
        {"keepdb.expired", "k"}}) {
    INFO(bad[0] << " " << bad.size() << " args");
    CHECK(client.command(bad).is_error());
  }
  CHECK(client.command({"GET", "k"}).text == "v");
  CHECK(client.command({"TTL", "k"}).integer == -1);
}
