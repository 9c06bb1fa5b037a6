// Tests for what the server does to the log lines clients can trigger: client bytes are
// truncated (log::truncated) and escaped to printable ASCII (log::append_escaped, which
// log::write applies to every line), and a flood of lines of one kind is throttled with a
// count of the lines suppressed (log::throttled, ClientLogThrottles).
#include <catch2/catch.hpp>

#include <string>

#include "kernel/log/escape.h"
#include "kernel/log/throttle.h"
#include "kernel/net/client_log_throttles.h"

using namespace std::string_literals;
using keepdb::log::Backslash;

namespace {

std::string escaped(std::string_view bytes, Backslash backslash) {
  std::string out;
  keepdb::log::append_escaped(out, bytes, backslash);
  return out;
}

}  // namespace

TEST_CASE("log lines escape every byte outside printable ASCII", "[log]") {
  CHECK(escaped("GET key ~", Backslash::kEscape) == "GET key ~");
  CHECK(escaped("a\nb\rc\0d\x7f"s, Backslash::kEscape) == "a\\x0ab\\x0dc\\x00d\\x7f");
  CHECK(escaped("\xff\xfe caf\xc3\xa9", Backslash::kEscape) == "\\xff\\xfe caf\\xc3\\xa9");
  // In a log line a backslash is escaped too, so "\x41" typed by a client stays distinct.
  CHECK(escaped("\\x41", Backslash::kEscape) == "\\x5cx41");
  CHECK(escaped("\\x41", Backslash::kKeep) == "\\x41");
}

TEST_CASE("client bytes quoted in a log line are cut with a marker", "[log]") {
  CHECK(keepdb::log::truncated("short") == "short");
  CHECK(keepdb::log::truncated(std::string(128, 'a')) == std::string(128, 'a'));
  CHECK(keepdb::log::truncated(std::string(300, 'a')) ==
        std::string(128, 'a') + "...(172 more bytes)");
  CHECK(keepdb::log::truncated("abcdef", 2) == "ab...(4 more bytes)");
}

TEST_CASE("a throttle lets a burst through, then counts what it suppresses", "[log]") {
  using Clock = keepdb::log::Throttle::Clock;
  keepdb::log::Throttle throttle(keepdb::net::kClientLogLinesPerWindow,
                                 keepdb::net::kClientLogWindow);
  const Clock::time_point start = Clock::now();
  for (std::uint32_t i = 0; i < keepdb::net::kClientLogLinesPerWindow; ++i) {
    CHECK(throttle.admit(start) == std::optional<std::uint64_t>(0));
  }
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(throttle.admit(start).has_value());
  // The next window's first line carries the count of the lines suppressed before it.
  CHECK(throttle.admit(start + keepdb::net::kClientLogWindow) ==
        std::optional<std::uint64_t>(1000));
  CHECK(throttle.admit(start + keepdb::net::kClientLogWindow) == std::optional<std::uint64_t>(0));
}
