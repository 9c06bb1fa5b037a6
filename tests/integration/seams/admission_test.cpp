// Owns the admission seam end to end with real keepd processes and the admission fixture:
// a denied command gets the retry hint and the connection stays usable; a banned address
// is refused at connect with one -ERR line and closed; a broken plugin (exception, bad
// status) refuses requests with a clear error and keepd stays up; a slow check is logged;
// every connection asked at connect is told of its disconnect, and the timer ticks.
#include <catch2/catch.hpp>

#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::seams {
namespace {

SeamsSetup with_admission(std::vector<std::pair<std::string, std::string>> options) {
  return SeamsSetup({PluginTable("limit", admission_fixture(), std::move(options))});
}

}  // namespace

TEST_CASE("seams: admission: a denied command gets the retry hint and the connection stays usable",
          "[seams][admission]") {
  SeamsKeepd keepd(with_admission({{"deny_every", "3"}, {"retry_ms", "250"}}));
  keepd.start();
  RawClient client(keepd.port());
  CHECK(client.command({"SET", "k", "v"}).text == "OK");
  CHECK(client.command({"GET", "k"}).text == "v");
  const RespValue denied = client.command({"GET", "k"});
  CHECK(denied.is_error());
  CHECK(denied.text == "ERR rate limit exceeded, retry in 250 ms");
  CHECK(client.command({"GET", "k"}).text == "v");  // same connection, still usable
  // A pipeline: the denial takes its place in reply order.
  const auto replies = client.pipeline({{"PING"}, {"PING"}, {"PING"}});
  CHECK(replies[0].text == "PONG");
  CHECK(replies[1].text == "ERR rate limit exceeded, retry in 250 ms");
  CHECK(replies[2].text == "PONG");
}

TEST_CASE("seams: admission: a denied write in a pipeline of writes replies in its place",
          "[seams][admission]") {
  // The writes before it are still being committed when it is denied: its refusal waits
  // for their replies (it was sent before them until this test).
  SeamsKeepd keepd(with_admission({{"deny_every", "3"}, {"retry_ms", "250"}}));
  keepd.start();
  RawClient client(keepd.port());
  const auto replies = client.pipeline(
      {{"SET", "a", "1"}, {"INCR", "n"}, {"SET", "c", "3"}, {"SET", "d", "4"}, {"INCR", "n"}});
  CHECK(replies[0].text == "OK");
  CHECK(replies[1].integer == 1);
  CHECK(replies[2].text == "ERR rate limit exceeded, retry in 250 ms");
  CHECK(replies[3].text == "OK");
  CHECK(replies[4].integer == 2);
  CHECK(client.command({"PING"}).is_error());  // the sixth command
  CHECK(client.command({"GET", "c"}).null);
  CHECK(client.command({"GET", "d"}).text == "4");
}

TEST_CASE("seams: admission: the plugin's reason replaces the generic text and keeps the hint",
          "[seams][admission]") {
  SeamsKeepd keepd(with_admission(
      {{"deny_every", "2"}, {"retry_ms", "40"}, {"reason", "quota of team-a exceeded"}}));
  keepd.start();
  RawClient client(keepd.port());
  CHECK(client.command({"PING"}).text == "PONG");
  CHECK(client.command({"PING"}).text == "ERR quota of team-a exceeded, retry in 40 ms");
  CHECK(client.command({"PING"}).text == "PONG");
  const ProgramResult cli = RedisCli(keepd.port()).run({"PING", "again"}, CliOutput::kRaw);
  CHECK(cli.out.find("quota of team-a exceeded") != std::string::npos);
}

TEST_CASE("seams: admission: a banned address is refused at connect with one error line",
          "[seams][admission]") {
  SeamsKeepd keepd(with_admission({{"ban", "127.0.0.1"}}));
  keepd.start();
  RawClient client(keepd.port());
  // Nothing was sent: the verdict comes before any byte is read.
  CHECK(client.read_reply().text == "ERR rate limit exceeded");
  CHECK(client.wait_closed());
  CHECK(keepd.wait_for_log("admission denied the connection"));
  // redis-cli sees the refusal too, and keepd keeps running.
  const ProgramResult cli = RedisCli(keepd.port()).run({"PING"});
  CHECK(cli.out.find("rate limit exceeded") != std::string::npos);
}

TEST_CASE(
    "seams: admission: a plugin that throws or returns a bad status refuses with a clear error",
    "[seams][admission]") {
  for (const auto& [mode, text] : {std::pair{"throw", "threw an exception through the ABI"},
                                   std::pair{"bad_status", "returned unknown status 42"}}) {
    INFO(mode);
    SeamsKeepd keepd(with_admission({{"mode", mode}}));
    keepd.start();
    RawClient client(keepd.port());
    const RespValue reply = client.command({"PING"});
    CHECK(
        reply.text.starts_with("ERR request refused: plugin 'limit' (admission-fixture) failed "
                               "a command check: "));
    CHECK(reply.text.find(text) != std::string::npos);
    CHECK(keepd.wait_for_log("the request is refused"));
    // keepd is up and the connection usable (refused again, not closed).
    CHECK(client.command({"PING"}).is_error());
    CHECK_FALSE(client.closed());
  }
}

TEST_CASE("seams: admission: a slow check is logged and the command still runs",
          "[seams][admission]") {
  SeamsKeepd keepd(with_admission({{"mode", "slow"}, {"sleep_ms", "30"}}));
  keepd.start();
  RawClient client(keepd.port());
  CHECK(client.command({"PING"}).text == "PONG");
  CHECK(keepd.wait_for_log("to check a command (admission checks must not block"));
}

TEST_CASE("seams: admission: every connection asked at connect hears its disconnect, and ticks run",
          "[seams][admission]") {
  SeamsKeepd keepd(with_admission({{"ban", "10.9.9.9"}}));
  keepd.start();
  {
    RawClient a(keepd.port());
    RawClient b(keepd.port());
    RawClient c(keepd.port());
    CHECK(a.command({"PING"}).text == "PONG");
    CHECK(b.command({"PING"}).text == "PONG");
    CHECK(c.command({"QUIT"}).text == "OK");
  }
  // Wait until keepd has seen the three closes: a new client is the fourth connection.
  REQUIRE(poll_until(
      [&] {
        RawClient probe(keepd.port());
        return probe.command({"INFO", "clients"}).text.find("connected_clients:1") !=
               std::string::npos;
      },
      kReplyTimeout));
  CHECK(keepd.wait_for_log("first tick"));  // the server's timer drives tick
  CHECK(keepd.stop().exited_normally(0));
  REQUIRE(keepd.log().find("events connects=") != std::string::npos);
  // Every probe and the three clients: connects == disconnects.
  const std::string log = keepd.log();
  const auto at = log.find("events connects=");
  const std::string line = log.substr(at, log.find('\n', at) - at);
  const auto connects = line.substr(16, line.find(' ', 16) - 16);
  CHECK(line.find("disconnects=" + connects + " ") != std::string::npos);
  CHECK(line.find("ticked=yes") != std::string::npos);
}

}  // namespace keepdb::integration::seams
