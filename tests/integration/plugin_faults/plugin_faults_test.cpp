// Owns what a faulty authenticator plugin does to a real keepd, driven by raw sockets and
// redis-cli: a plugin writing past the end of a buffer the host lent it (the overflow
// fixture) fails that AUTH with one ERROR line naming the plugin, is disabled for every
// later AUTH, and keepd keeps serving; the same write in create stops start-up naming the
// plugin; [plugins] auth_deadline_ms bounds a blocking plugin; a failed AUTH is logged once.
#include <catch2/catch.hpp>

#include <sstream>

#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::seams {
namespace {

const std::string kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

// How many lines of `log` contain `text`.
std::size_t lines_with(const std::string& log, std::string_view text) {
  std::istringstream lines(log);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(text) != std::string::npos) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("plugin faults: a write past a lent buffer disables the plugin and keepd keeps serving",
          "[plugin-faults]") {
  const auto [target, buffer] = GENERATE(table<std::string, std::string>({
      {"name", "principal name buffer (256 bytes)"},
      {"error", "error buffer (1024 bytes)"},
  }));
  INFO(target);
  SeamsKeepd keepd(SeamsSetup({PluginTable("spill", KEEPDB_OVERFLOW_SO, {{"target", target}})}));
  keepd.start();

  RawClient client(keepd.port());
  const RespValue first = client.command({"AUTH", "ann", "secret-one"});
  CHECK(first.text == kWrongPass);
  const std::string breach =
      "plugin 'spill' (overflow) wrote past the end of the " + buffer + "; plugin disabled";
  CHECK(keepd.wait_for_log(breach + ", every later authentication through it fails"));

  // Disabled: the next AUTH fails at once without entering the plugin, from redis-cli too.
  const ProgramResult cli = RedisCli(keepd.port()).run({"AUTH", "ann", "secret-two"});
  CHECK(cli.out.find(kWrongPass) != std::string::npos);
  CHECK(keepd.wait_for_log(
      "plugin 'spill' (overflow) is disabled: it wrote past the end of a host buffer earlier"));

  // keepd is up: the same connection is answered, new connections are accepted.
  CHECK(client.command({"PING"}).text.starts_with("NOAUTH"));
  CHECK(RawClient(keepd.port()).command({"PING"}).text.starts_with("NOAUTH"));
  CHECK(keepd.running());
  const std::string log = keepd.log();
  CAPTURE(log);
  CHECK(lines_with(log, breach + ", every later") == 1);
  CHECK(lines_with(log, "secret-") == 0);
  CHECK(keepd.stop().exited_normally(0));
}

TEST_CASE("plugin faults: a write past create's error buffer stops start-up naming the plugin",
          "[plugin-faults]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable("spill", KEEPDB_OVERFLOW_SO, {{"target", "create"}})}));
  CHECK(keepd.start_expecting_exit().exited_normally(1));
  const std::string log = keepd.log();
  CAPTURE(log);
  CHECK(log.find("plugin 'spill' (overflow): create failed: wrote past the end of the buffer "
                 "lent for its error message (1024 bytes)") != std::string::npos);
  CHECK(log.find("ready: clients on") == std::string::npos);
}

TEST_CASE("plugin faults: auth_deadline_ms fails an AUTH a plugin blocks", "[plugin-faults]") {
  // The plugin blocks 1500 ms, then accepts: a reply of OK would mean the deadline did not
  // answer first.
  SeamsSetup setup({PluginTable("slow", KEEPDB_SLOW_AUTH_SO, {{"sleep_ms", "1500"}})});
  setup.auth_deadline_ms = 200;
  SeamsKeepd keepd(std::move(setup));
  keepd.start();
  RawClient client(keepd.port());
  CHECK(client.command({"AUTH", "ann", "secret"}).text == kWrongPass);
  CHECK(keepd.wait_for_log("deadline of 200 ms passed waiting for plugin 'slow'"));
  CHECK(keepd.stop().exited_normally(0));
}

TEST_CASE("plugin faults: a refused AUTH is logged once", "[plugin-faults]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable("deny", KEEPDB_DENY_ALL_SO)}));
  keepd.start();
  RawClient client(keepd.port());
  CHECK(client.command({"AUTH", "ann", "secret"}).text == kWrongPass);
  CHECK(keepd.wait_for_log("authentication failed for"));
  CHECK(client.command({"PING"}).text.starts_with("NOAUTH"));  // after the AUTH's log line
  const std::string log = keepd.log();
  CAPTURE(log);
  CHECK(lines_with(log, "authentication failed for") == 1);
  CHECK(lines_with(log, "plugin 'deny' (deny-all) rejected") == 1);
}

}  // namespace keepdb::integration::seams
