// Quiet, safe logs against a real keepd: a flood of malformed connections writes a bounded
// number of WARN lines and then a count of those suppressed, and client bytes (control
// bytes, invalid UTF-8) in a command name or a malformed request come back escaped and cut
// in the error reply, and escaped in the log.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/limits/survival.h"

using namespace keepdb::integration;
using namespace std::string_literals;

namespace {

// A request whose second byte is not a '$': one protocol error, one WARN line, a close.
const std::string kMalformed = "*1\r\n\xff\x01\r\n"s;

void send_malformed(std::uint16_t port) {
  RawClient client(port);
  client.send(kMalformed);
  client.wait_closed();
}

std::size_t count_lines_with(const std::string& log, std::string_view text) {
  std::size_t count = 0;
  for (std::size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("a flood of malformed connections writes few WARN lines and a suppressed count",
          "[logs]") {
  constexpr int kFlood = 2000;
  KeepdProcess keepd(KeepdSettings("quiet-logs"));
  write_witness(keepd.port());
  const auto start = Clock::now();
  for (int i = 0; i < kFlood; ++i) send_malformed(keepd.port());
  // The count of what was suppressed comes with the first line of a later window.
  CHECK(poll_until(
      [&] {
        send_malformed(keepd.port());
        return keepd.log().find("similar lines suppressed") != std::string::npos;
      },
      30s, 200ms));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string log = keepd.log();
  const std::size_t warnings = count_lines_with(log, "Protocol error: expected");
  std::printf("%d malformed connections in %.1f s: %zu WARN lines about them\n", kFlood, seconds,
              warnings);
  // At most 10 lines per 10 s window, the last one with the suppressed count.
  CHECK(warnings <= 10 * (static_cast<std::size_t>(seconds / 10) + 2));
  check_still_serving(keepd.port());
}

TEST_CASE("client bytes in a command name are escaped and cut in the error reply", "[logs]") {
  KeepdProcess keepd(KeepdSettings("escaped-errors"));
  RawClient client(keepd.port());
  const std::string name = "\x01\x1b[2J\xff\xfe"s + std::string(300, 'a');
  // The name is cut at 128 bytes as Redis cuts it, then every byte outside printable ASCII
  // is written \xNN (Redis 7.0 sends them raw).
  CHECK(client.command({name, "b\0c"s}).text == "ERR unknown command '\\x01\\x1b[2J\\xff\\xfe" +
                                                    std::string(121, 'a') +
                                                    "', with args beginning with: 'b\\x00c' ");
  CHECK(client.command({"PING"}).text == "PONG");
}

TEST_CASE("client bytes in a malformed request are escaped in the reply and the log", "[logs]") {
  KeepdProcess keepd(KeepdSettings("escaped-protocol-error"));
  RawClient client(keepd.port());
  REQUIRE(client.send(kMalformed));
  check_error_then_close(client, "ERR Protocol error: expected '$', got '\\xff'");
  CHECK(keepd.wait_for_log("Protocol error: expected '$', got '\\xff'"));
  CHECK(keepd.log().find("\xff") == std::string::npos);
}
