// Limiter: each limit exceeded and recovered after its window on the fake clock, the
// allow-list, IPv6 prefixes, reloads, the sweep, the counters and the memory bound with 100k
// distinct identities (plugins/ratelimit/limiter.h).
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/ratelimit/limiter_support.h"

namespace keepdb::ratelimit::test {
namespace {

Limiter make(Options options) {
  return Limiter(config(options), HashSeed{}, {});
}

std::string ipv4(std::uint32_t n) {
  return "10." + std::to_string((n >> 16) & 0xff) + "." + std::to_string((n >> 8) & 0xff) + "." +
         std::to_string(n & 0xff);
}

}  // namespace

TEST_CASE("ratelimit: commands per connection are limited and recover", "[ratelimit]") {
  Limiter limiter =
      make({{"commands_per_second_per_connection", "10"}, {"commands_burst_per_connection", "5"}});
  REQUIRE(limiter.check(connect(1, "10.0.0.1"), kT0).admitted);
  for (int i = 0; i < 5; ++i) REQUIRE(limiter.check(command(1, "10.0.0.1"), kT0).admitted);
  const Decision refused = limiter.check(command(1, "10.0.0.1"), kT0);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.reason == Reason::kCommandsPerConnection);
  CHECK(refused.retry_after_ms == 100);
  // Another connection from the same address has its own bucket.
  REQUIRE(limiter.check(connect(2, "10.0.0.1"), kT0).admitted);
  CHECK(limiter.check(command(2, "10.0.0.1"), kT0).admitted);
  // A refused command costs nothing: after the hint, one more is admitted.
  CHECK(limiter.check(command(1, "10.0.0.1"), kT0 + 100 * kMs).admitted);
  CHECK_FALSE(limiter.check(command(1, "10.0.0.1"), kT0 + 100 * kMs).admitted);
  // After the window the whole burst is back.
  for (int i = 0; i < 5; ++i) CHECK(limiter.check(command(1, "10.0.0.1"), kT0 + kSec).admitted);
  CHECK_FALSE(limiter.check(command(1, "10.0.0.1"), kT0 + kSec).admitted);
  CHECK(denials(limiter, Reason::kCommandsPerConnection) == 3);
}

TEST_CASE("ratelimit: commands per principal are limited across its connections", "[ratelimit]") {
  Limiter limiter = make({{"commands_per_second_per_principal", "2"}});
  for (std::uint64_t conn = 1; conn <= 3; ++conn) {
    REQUIRE(limiter.check(connect(conn, "10.0.0.1"), kT0).admitted);
  }
  CHECK(limiter.check(command(1, "10.0.0.1", "GET", "alice"), kT0).admitted);
  CHECK(limiter.check(command(2, "10.0.0.1", "GET", "alice"), kT0).admitted);
  const Decision refused = limiter.check(command(3, "10.0.0.1", "GET", "alice"), kT0);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.reason == Reason::kCommandsPerPrincipal);
  CHECK(refused.retry_after_ms == 500);
  CHECK(limiter.check(command(3, "10.0.0.1", "GET", "bob"), kT0).admitted);
  CHECK(limiter.check(command(3, "10.0.0.1", "GET"), kT0).admitted);  // unauthenticated
  CHECK(limiter.check(command(1, "10.0.0.1", "GET", "alice"), kT0 + 500 * kMs).admitted);
}

TEST_CASE("ratelimit: request bytes per connection are limited and recover", "[ratelimit]") {
  Limiter limiter = make({{"bytes_per_second_per_connection", "1000"}});
  REQUIRE(limiter.check(connect(1, "10.0.0.1"), kT0).admitted);
  CHECK(limiter.check(command(1, "10.0.0.1", "SET", {}, 600), kT0).admitted);
  const Decision refused = limiter.check(command(1, "10.0.0.1", "SET", {}, 600), kT0);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.reason == Reason::kBytesPerConnection);
  CHECK(refused.retry_after_ms == 200);
  CHECK(limiter.check(command(1, "10.0.0.1", "SET", {}, 600), kT0 + 200 * kMs).admitted);
  // A request larger than the burst passes from a full bucket, then its debt is repaid.
  CHECK(limiter.check(command(1, "10.0.0.1", "SET", {}, 5000), kT0 + 10 * kSec).admitted);
  CHECK(limiter.check(command(1, "10.0.0.1", "SET", {}, 1), kT0 + 10 * kSec).retry_after_ms ==
        4001);
  CHECK(limiter.check(command(1, "10.0.0.1", "SET", {}, 1), kT0 + 14001 * kMs).admitted);
}

TEST_CASE("ratelimit: the cost table charges expensive commands more", "[ratelimit]") {
  Limiter limiter = make({{"commands_per_second_per_connection", "10"},
                          {"commands_burst_per_connection", "10"},
                          {"command_costs", "scan=10,ping=0"}});
  REQUIRE(limiter.check(connect(1, "10.0.0.1"), kT0).admitted);
  CHECK(limiter.check(command(1, "10.0.0.1", "SCAN"), kT0).admitted);
  const Decision refused = limiter.check(command(1, "10.0.0.1", "GET"), kT0);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.retry_after_ms == 100);
  CHECK(limiter.check(command(1, "10.0.0.1", "PING"), kT0).admitted);  // cost 0: exempt
  // A SCAN needs the whole burst back: a second.
  CHECK_FALSE(limiter.check(command(1, "10.0.0.1", "scan"), kT0 + 900 * kMs).admitted);
  CHECK(limiter.check(command(1, "10.0.0.1", "scan"), kT0 + kSec).admitted);
}

TEST_CASE("ratelimit: concurrent connections per address are limited", "[ratelimit]") {
  Limiter limiter = make({{"connections_per_ip", "2"}});
  CHECK(limiter.check(connect(1, "10.0.0.1"), kT0).admitted);
  CHECK(limiter.check(connect(2, "10.0.0.1"), kT0).admitted);
  const Decision refused = limiter.check(connect(3, "10.0.0.1"), kT0);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.reason == Reason::kConnectionsPerIp);
  CHECK(refused.retry_after_ms == 0);
  limiter.check(disconnect(3, "10.0.0.1"), kT0);  // the refused one: not counted
  CHECK_FALSE(limiter.check(connect(4, "10.0.0.1"), kT0).admitted);
  CHECK(limiter.check(connect(5, "10.0.0.2"), kT0).admitted);
  // IPv4-mapped IPv6 is the same address.
  CHECK_FALSE(limiter.check(connect(6, "::ffff:10.0.0.1"), kT0).admitted);
  limiter.check(disconnect(1, "10.0.0.1"), kT0);
  CHECK(limiter.check(connect(7, "10.0.0.1"), kT0).admitted);
  CHECK(limiter.stats().connections == 3);
}

TEST_CASE("ratelimit: new connections per second per address are limited", "[ratelimit]") {
  Limiter limiter =
      make({{"new_connections_per_ip_per_second", "1"}, {"new_connections_burst_per_ip", "2"}});
  CHECK(limiter.check(connect(1, "10.0.0.1"), kT0).admitted);
  CHECK(limiter.check(connect(2, "10.0.0.1"), kT0).admitted);
  const Decision refused = limiter.check(connect(3, "10.0.0.1"), kT0);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.reason == Reason::kNewConnectionsPerIp);
  CHECK(refused.retry_after_ms == 1000);
  CHECK(limiter.check(connect(4, "10.0.0.2"), kT0).admitted);
  CHECK(limiter.check(connect(5, "10.0.0.1"), kT0 + kSec).admitted);
}

TEST_CASE("ratelimit: IPv6 clients are tracked per prefix", "[ratelimit]") {
  Limiter limiter = make({{"connections_per_ip", "1"}, {"ipv6_prefix", "64"}});
  CHECK(limiter.check(connect(1, "2001:db8:1:2::1"), kT0).admitted);
  CHECK_FALSE(limiter.check(connect(2, "2001:db8:1:2:ffff::9"), kT0).admitted);
  CHECK(limiter.check(connect(3, "2001:db8:1:3::1"), kT0).admitted);
  // Not an IP address (a Unix socket): no per-address limit applies.
  CHECK(limiter.check(connect(4, ""), kT0).admitted);
  CHECK(limiter.check(connect(5, ""), kT0).admitted);
}

TEST_CASE("ratelimit: allow-listed addresses are never limited or banned", "[ratelimit]") {
  Limiter limiter = make({{"connections_per_ip", "1"},
                          {"commands_per_second_per_connection", "1"},
                          {"commands_per_second_per_principal", "1"},
                          {"auth_failure_limit", "1"},
                          {"allow", "10.1.0.0/16, ::1"}});
  for (std::uint64_t conn = 1; conn <= 10; ++conn) {
    REQUIRE(limiter.check(connect(conn, "10.1.2.3"), kT0).admitted);
    REQUIRE(limiter.check(auth_fail(conn, "10.1.2.3"), kT0).admitted);
    for (int i = 0; i < 10; ++i) {
      REQUIRE(limiter.check(command(conn, "10.1.2.3", "GET", "alice"), kT0).admitted);
    }
  }
  CHECK(limiter.check(connect(11, "::1"), kT0).admitted);
  CHECK(limiter.check(connect(12, "::1"), kT0).admitted);
  // Outside the list the same traffic is limited.
  CHECK(limiter.check(connect(20, "10.2.0.1"), kT0).admitted);
  CHECK_FALSE(limiter.check(connect(21, "10.2.0.1"), kT0).admitted);
  CHECK(limiter.check(command(20, "10.2.0.1"), kT0).admitted);
  CHECK_FALSE(limiter.check(command(20, "10.2.0.1"), kT0).admitted);
  CHECK_FALSE(limiter.check(auth_fail(20, "10.2.0.1"), kT0).admitted);
  CHECK(limiter.stats().bans_issued == 1);
}

TEST_CASE("ratelimit: the full tables refuse rather than forget open connections", "[ratelimit]") {
  Limiter limiter = make({{"connections_per_ip", "5"}, {"max_tracked_ips", "4"}});
  for (std::uint32_t n = 1; n <= 4; ++n) {
    REQUIRE(limiter.check(connect(n, ipv4(n)), kT0).admitted);
  }
  const Decision refused = limiter.check(connect(5, ipv4(5)), kT0);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.reason == Reason::kCapacity);
  limiter.check(disconnect(2, ipv4(2)), kT0);
  CHECK(limiter.check(connect(6, ipv4(5)), kT0).admitted);
  CHECK(limiter.stats().evicted_ips == 1);
  CHECK(limiter.stats().ips == 4);
}

TEST_CASE("ratelimit: tick sweeps idle entries without changing a decision", "[ratelimit]") {
  Limiter limiter = make({{"connections_per_ip", "3"},
                          {"new_connections_per_ip_per_second", "1"},
                          {"commands_per_second_per_principal", "1"}});
  REQUIRE(limiter.check(connect(1, "10.0.0.1"), kT0).admitted);
  REQUIRE(limiter.check(command(1, "10.0.0.1", "GET", "alice"), kT0).admitted);
  limiter.tick(kT0 + 100 * kMs);  // nothing is idle yet
  CHECK(limiter.stats().ips == 1);
  CHECK(limiter.stats().principals == 1);
  CHECK_FALSE(limiter.check(command(1, "10.0.0.1", "GET", "alice"), kT0 + 100 * kMs).admitted);
  limiter.check(disconnect(1, "10.0.0.1"), kT0 + 200 * kMs);
  limiter.tick(kT0 + 500 * kMs);  // the buckets are not full yet
  CHECK(limiter.stats().ips == 1);
  CHECK_FALSE(limiter.check(connect(2, "10.0.0.1"), kT0 + 500 * kMs).admitted);
  limiter.tick(kT0 + 2 * kSec);
  const Stats stats = limiter.stats();
  CHECK(stats.ips == 0);
  CHECK(stats.principals == 0);
  CHECK(stats.connections == 0);
  CHECK(limiter.check(connect(3, "10.0.0.1"), kT0 + 2 * kSec).admitted);
}

TEST_CASE("ratelimit: a reload with new limits keeps bans and tracks open connections",
          "[ratelimit]") {
  auto old_instance = std::make_unique<Limiter>(
      config({{"auth_failure_limit", "1"}, {"ban_ms", "10000"}}), HashSeed{}, Limiter::Log{});
  REQUIRE(old_instance->check(connect(1, "10.0.0.1"), kT0).admitted);
  REQUIRE(old_instance->check(connect(2, "10.0.0.9"), kT0).admitted);
  REQUIRE_FALSE(old_instance->check(auth_fail(2, "10.0.0.9"), kT0).admitted);
  // The host creates the new instance, swaps, then destroys the old one.
  Limiter reloaded = make({{"commands_per_second_per_connection", "1"}, {"ban_ms", "10000"}});
  old_instance.reset();
  const Decision banned = reloaded.check(connect(3, "10.0.0.9"), kT0 + kSec);
  CHECK_FALSE(banned.admitted);
  CHECK(banned.retry_after_ms == 9000);
  // Connection 1 was opened under the old instance: the new limit applies to it.
  CHECK(reloaded.check(command(1, "10.0.0.1"), kT0 + kSec).admitted);
  CHECK_FALSE(reloaded.check(command(1, "10.0.0.1"), kT0 + kSec).admitted);
  reloaded.check(disconnect(1, "10.0.0.1"), kT0 + kSec);
  CHECK(reloaded.stats().connections == 0);
  CHECK(reloaded.check(connect(4, "10.0.0.9"), kT0 + 10 * kSec).admitted);
}

TEST_CASE("ratelimit: denial counters are logged from tick when they changed", "[ratelimit]") {
  std::vector<std::string> lines;
  Limiter limiter(
      config({{"commands_per_second_per_connection", "1"}, {"stats_interval_ms", "1000"}}),
      HashSeed{}, [&](int, std::string_view line) { lines.emplace_back(line); });
  REQUIRE(limiter.check(connect(1, "10.0.0.1"), kT0).admitted);
  REQUIRE(limiter.check(command(1, "10.0.0.1"), kT0).admitted);
  REQUIRE_FALSE(limiter.check(command(1, "10.0.0.1"), kT0).admitted);
  limiter.tick(kT0 + kSec);
  REQUIRE(lines.size() == 1);
  CHECK(
      lines[0].starts_with("denials banned=0 connections_per_ip=0 new_connections_per_ip=0 "
                           "commands_per_connection=1 "));
  CHECK(lines[0].find("tracked connections=1 ips=0 principals=0") != std::string::npos);
  limiter.tick(kT0 + 3 * kSec);  // unchanged: nothing logged
  CHECK(lines.size() == 1);
}

TEST_CASE("ratelimit: concurrent checks share one principal bucket exactly", "[ratelimit]") {
  Limiter limiter = make(
      {{"commands_per_second_per_principal", "0.001"}, {"commands_burst_per_principal", "1000"}});
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string addr = ipv4(static_cast<std::uint32_t>(t + 1));
      limiter.check(connect(t, addr), kT0);
      for (int i = 0; i < 1000; ++i) {
        if (limiter.check(command(t, addr, "GET", "shared"), kT0).admitted) ++admitted;
        if (i % 100 == 0) limiter.tick(kT0);
      }
      limiter.check(disconnect(t, addr), kT0);
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(admitted == 1000);
  CHECK(denials(limiter, Reason::kCommandsPerPrincipal) == 3000);
}

TEST_CASE("ratelimit: 100k distinct identities stay within the memory bound", "[ratelimit]") {
  constexpr std::uint32_t kCap = 100'000;
  Limiter limiter = make({{"connections_per_ip", "10"},
                          {"new_connections_per_ip_per_second", "10"},
                          {"commands_per_second_per_connection", "100"},
                          {"commands_per_second_per_principal", "100"},
                          {"auth_failure_limit", "1000"},
                          {"max_tracked_ips", "100000"},
                          {"max_tracked_principals", "100000"},
                          {"max_tracked_connections", "100000"},
                          {"max_bans", "1000"}});
  const std::size_t reserved = limiter.stats().memory_bytes;
  // The bound: each table's entries, its index (at most 4 slots of 4 bytes per entry after
  // rounding to a power of two), and nothing that grows with the number of identities.
  const std::size_t bound = kCap * (Limiter::bytes_per_ip() + Limiter::bytes_per_connection() +
                                    Limiter::bytes_per_principal() + 3 * 2 * 4) +
                            1000 * (BanTable::bytes_per_entry() + 2 * 4);
  CHECK(reserved <= bound);
  // Twice the cap of distinct addresses, connections and principals, each seen once.
  std::uint32_t admitted = 0;
  for (std::uint32_t n = 0; n < 2 * kCap; ++n) {
    const std::string addr = ipv4(n);
    const std::string principal = "user" + std::to_string(n);
    admitted += limiter.check(connect(n, addr), kT0).admitted;
    admitted += limiter.check(auth_fail(n, addr), kT0).admitted;
    admitted += limiter.check(command(n, addr, "GET", principal), kT0).admitted;
    limiter.check(disconnect(n, addr), kT0);
  }
  CHECK(admitted == 3 * 2 * kCap);
  const Stats stats = limiter.stats();
  CHECK(stats.ips == kCap);
  CHECK(stats.principals == kCap);
  CHECK(stats.evicted_ips == kCap);
  CHECK(stats.evicted_principals == kCap);
  CHECK(stats.connections == 0);
  CHECK(stats.memory_bytes == reserved);  // short names live inside the entries
  // 100k open connections fill the connection table; the next is refused, not tracked.
  admitted = 0;
  for (std::uint32_t n = 0; n < kCap; ++n) {
    admitted += limiter.check(connect(1'000'000 + n, ipv4(n)), kT0 + kSec).admitted;
  }
  CHECK(admitted == kCap);
  CHECK(limiter.check(connect(5'000'000, "192.168.0.1"), kT0 + kSec).reason == Reason::kCapacity);
  CHECK(limiter.stats().memory_bytes == reserved);
}

}  // namespace keepdb::ratelimit::test
