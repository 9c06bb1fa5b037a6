// The ratelimit plugin in a real keepd: a command over its connection's rate gets
// "-ERR rate limit exceeded (commands_per_connection), retry in N ms" and the connection
// stays usable; failed
// authentications ban the address at connect and on its open connections; many client
// addresses of 127.0.0.0/8 are limited one by one, the allow-listed one not at all.
#include <catch2/catch.hpp>

#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/integration/ratelimit/bound_client.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::ratelimit {
namespace {

using seams::PluginTable;
using seams::SeamsKeepd;
using seams::SeamsSetup;

PluginTable limits(PluginTable::Options options) {
  return PluginTable{"limits", KEEPDB_RATELIMIT_SO, std::move(options)};
}

// A refusal with a hint, "ERR <why> (LIMIT), retry in N ms": the limit that refused and N.
struct Refusal {
  std::string limit;  // empty when `text` is not such a refusal
  long retry_ms = -1;
};

Refusal refusal(const std::string& text) {
  static const std::regex kRefusal("ERR [a-z ]+ \\(([a-z_]+)\\), retry in ([0-9]+) ms");
  std::smatch match;
  if (!std::regex_match(text, match, kRefusal)) return {};
  return {match[1], std::stol(match[2])};
}

long retry_ms(const std::string& text) {
  return refusal(text).retry_ms;
}

std::string loopback(int n) {
  return "127.0.0." + std::to_string(n);
}

}  // namespace

TEST_CASE(
    "ratelimit keepd: a command over the rate is refused with a hint and the connection "
    "stays usable",
    "[ratelimit][integration]") {
  SeamsKeepd keepd(SeamsSetup{{limits({{"commands_per_second_per_connection", "0.5"},
                                       {"commands_burst_per_connection", "3"},
                                       {"command_costs", "echo=0"}})}});
  keepd.start();
  BoundClient client(keepd.port(), loopback(1));
  for (int i = 0; i < 3; ++i) REQUIRE(client.command({"PING"}).text == "PONG");
  const RespValue refused = client.command({"PING"});
  CHECK(refused.is_error());
  CHECK(refusal(refused.text).limit == "commands_per_connection");
  // INFO security counts refusals by the limit named in the reason.
  BoundClient observer(keepd.port(), loopback(9));
  const std::string info = observer.command({"INFO", "security"}).text;
  CHECK(info.find("admission_denials:commands_per_connection=1\r\n") != std::string::npos);
  const long hint = retry_ms(refused.text);
  INFO(refused.text);
  CHECK(hint > 0);
  CHECK(hint <= 2000);
  // Same connection: an exempt command runs at once, and PING again once the hint passes.
  CHECK(client.command({"ECHO", "still here"}).text == "still here");
  CHECK(poll_until([&] { return client.command({"PING"}).text == "PONG"; }, kReplyTimeout));
  // Another connection from the same address has its own bucket.
  BoundClient other(keepd.port(), loopback(1));
  CHECK(other.command({"PING"}).text == "PONG");
}

TEST_CASE("ratelimit keepd: failed authentications ban the address at connect",
          "[ratelimit][integration]") {
  SeamsKeepd keepd(SeamsSetup{
      {PluginTable{"deny", KEEPDB_DENY_ALL_SO},
       limits({{"auth_failure_limit", "3"}, {"ban_ms", "60000"}, {"allow", "127.0.0.1"}})}});
  keepd.start();
  BoundClient attacker(keepd.port(), loopback(2));
  for (int i = 0; i < 3; ++i) {
    const RespValue reply = attacker.command({"AUTH", "guess-" + std::to_string(i)});
    REQUIRE(reply.is_error());
    CHECK(retry_ms(reply.text) == -1);  // the failures themselves are answered as usual
  }
  // Banned: the open connection is refused command by command, and stays open...
  const std::string banned = attacker.command({"AUTH", "guess-3"}).text;
  CHECK(banned.rfind("ERR address banned after failed authentications (banned), retry in", 0) == 0);
  const long hint = retry_ms(banned);
  CHECK(hint > 50000);
  CHECK(hint <= 60000);
  // ...and a new connection is refused at connect and closed.
  BoundClient again(keepd.port(), loopback(2));
  const Refusal at_connect = refusal(again.read_reply().text);
  CHECK(at_connect.limit == "banned");
  CHECK(at_connect.retry_ms > 0);
  CHECK(again.wait_closed());
  // Other addresses are not affected; the allow-listed one is never banned.
  BoundClient bystander(keepd.port(), loopback(3));
  CHECK(retry_ms(bystander.command({"PING"}).text) == -1);
  BoundClient health(keepd.port(), loopback(1));
  for (int i = 0; i < 5; ++i) CHECK(retry_ms(health.command({"AUTH", "x"}).text) == -1);
  CHECK(retry_ms(health.command({"PING"}).text) == -1);
}

TEST_CASE("ratelimit keepd: many client addresses are limited each on its own",
          "[ratelimit][integration]") {
  SeamsKeepd keepd(SeamsSetup{{limits(
      {{"connections_per_ip", "2"}, {"allow", "127.0.0.200"}, {"stats_interval_ms", "500"}})}});
  keepd.start();
  constexpr int kAddresses = 30;
  std::vector<std::unique_ptr<BoundClient>> open;
  for (int n = 10; n < 10 + kAddresses; ++n) {
    for (int i = 0; i < 2; ++i) {
      open.push_back(std::make_unique<BoundClient>(keepd.port(), loopback(n)));
      REQUIRE(open.back()->command({"PING"}).text == "PONG");
    }
    BoundClient third(keepd.port(), loopback(n));
    CHECK(third.read_reply().text ==
          "ERR too many connections from this address (connections_per_ip)");
    CHECK(third.wait_closed());
  }
  // The allow-listed address is not limited.
  std::vector<std::unique_ptr<BoundClient>> health;
  for (int i = 0; i < 5; ++i) {
    health.push_back(std::make_unique<BoundClient>(keepd.port(), "127.0.0.200"));
    CHECK(health.back()->command({"PING"}).text == "PONG");
  }
  // A closed connection frees its place once keepd has seen the close.
  open.front().reset();
  CHECK(poll_until(
      [&] {
        try {
          BoundClient retry(keepd.port(), loopback(10));
          return retry.command({"PING"}).text == "PONG";
        } catch (const std::runtime_error&) {
          return false;  // refused at connect and closed before the PING was read
        }
      },
      kReplyTimeout));
  CHECK(keepd.wait_for_log("denials banned=0 connections_per_ip="));
}

}  // namespace keepdb::integration::ratelimit
