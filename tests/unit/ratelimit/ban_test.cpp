// Brute-force bans: N failed authentications within the window ban an address, at connect
// and on its open connections; repeat offences double the ban up to the maximum; success does
// not lift a ban; the ban table never drops an active ban (plugins/ratelimit/ban_table.h).
#include <catch2/catch.hpp>

#include "tests/unit/ratelimit/limiter_support.h"

namespace keepdb::ratelimit::test {
namespace {

constexpr std::string_view kAttacker = "10.0.0.9";

Limiter make_banning(Options extra = {}) {
  std::vector<std::pair<std::string_view, std::string_view>> options = {
      {"auth_failure_limit", "3"},
      {"auth_failure_window_ms", "10000"},
      {"ban_ms", "1000"},
      {"ban_max_ms", "4000"},
      {"ban_memory_ms", "60000"}};
  options.insert(options.end(), extra.begin(), extra.end());
  return Limiter(parse_config(options), HashSeed{}, {});
}

// Fails authentication `limit` times on connection `conn` at `now`; returns the last decision.
Decision offend(Limiter& limiter, std::uint64_t conn, std::uint64_t now, int limit = 3) {
  REQUIRE(limiter.check(connect(conn, kAttacker), now).admitted);
  for (int i = 1; i < limit; ++i) REQUIRE(limiter.check(auth_fail(conn, kAttacker), now).admitted);
  return limiter.check(auth_fail(conn, kAttacker), now);
}

}  // namespace

TEST_CASE("ratelimit bans: failed authentications ban the address until the ban ends",
          "[ratelimit][bans]") {
  Limiter limiter = make_banning();
  REQUIRE(limiter.check(connect(1, "10.0.0.1"), kT0).admitted);  // a bystander
  const Decision banned = offend(limiter, 2, kT0);
  CHECK_FALSE(banned.admitted);
  CHECK(banned.reason == Reason::kBanned);
  CHECK(banned.retry_after_ms == 1000);
  // Refused at connect, with the time left.
  const Decision at_connect = limiter.check(connect(3, kAttacker), kT0 + 400 * kMs);
  CHECK_FALSE(at_connect.admitted);
  CHECK(at_connect.retry_after_ms == 600);
  // The open connection is refused too: no more guesses on it.
  CHECK_FALSE(limiter.check(command(2, kAttacker, "AUTH"), kT0 + 400 * kMs).admitted);
  // A success does not lift the ban.
  CHECK_FALSE(limiter.check(auth_ok(2, kAttacker, "alice"), kT0 + 500 * kMs).admitted);
  // The bystander is untouched.
  CHECK(limiter.check(command(1, "10.0.0.1"), kT0 + 500 * kMs).admitted);
  CHECK(limiter.check(connect(4, "10.0.0.1"), kT0 + 500 * kMs).admitted);
  // After the ban: admitted again, on the old connection and new ones.
  CHECK(limiter.check(connect(5, kAttacker), kT0 + kSec).admitted);
  CHECK(limiter.check(command(2, kAttacker, "AUTH"), kT0 + kSec).admitted);
  CHECK(limiter.stats().bans_issued == 1);
  CHECK(denials(limiter, Reason::kBanned) == 4);
}

TEST_CASE("ratelimit bans: repeat offences double the ban up to the maximum", "[ratelimit][bans]") {
  Limiter limiter = make_banning();
  std::uint64_t now = kT0;
  std::uint64_t conn = 1;
  for (const std::uint32_t expected_ms : {1000u, 2000u, 4000u, 4000u}) {
    const Decision banned = offend(limiter, conn++, now);
    CHECK(banned.retry_after_ms == expected_ms);
    CHECK_FALSE(limiter.check(connect(conn++, kAttacker), now + expected_ms * kMs - 1).admitted);
    now += expected_ms * kMs;
    limiter.tick(now);
  }
  // Past the memory of the last offence, the next ban starts short again.
  now += 60 * kSec;
  limiter.tick(now);
  CHECK(offend(limiter, conn++, now).retry_after_ms == 1000);
  CHECK(limiter.stats().bans_issued == 5);
}

TEST_CASE("ratelimit bans: failures outside the window do not add up", "[ratelimit][bans]") {
  Limiter limiter = make_banning();
  REQUIRE(limiter.check(connect(1, kAttacker), kT0).admitted);
  CHECK(limiter.check(auth_fail(1, kAttacker), kT0).admitted);
  CHECK(limiter.check(auth_fail(1, kAttacker), kT0 + 5 * kSec).admitted);
  // The window opened at the first failure has passed: this one starts a new window.
  CHECK(limiter.check(auth_fail(1, kAttacker), kT0 + 10 * kSec).admitted);
  CHECK(limiter.check(auth_fail(1, kAttacker), kT0 + 11 * kSec).admitted);
  CHECK_FALSE(limiter.check(auth_fail(1, kAttacker), kT0 + 12 * kSec).admitted);
}

TEST_CASE("ratelimit bans: a full ban table never drops an active ban", "[ratelimit][bans]") {
  Limiter limiter = make_banning({{"max_bans", "2"}, {"ban_table", "full-table-test"}});
  for (std::uint64_t n = 1; n <= 3; ++n) {
    const std::string addr = "10.0.1." + std::to_string(n);
    REQUIRE(limiter.check(connect(n, addr), kT0).admitted);
    for (int i = 0; i < 3; ++i) limiter.check(auth_fail(n, addr), kT0);
  }
  Stats stats = limiter.stats();
  CHECK(stats.bans_issued == 2);
  CHECK(stats.bans_refused == 1);
  CHECK(stats.bans == 2);
  CHECK_FALSE(limiter.check(connect(10, "10.0.1.1"), kT0 + 999 * kMs).admitted);
  CHECK_FALSE(limiter.check(connect(11, "10.0.1.2"), kT0 + 999 * kMs).admitted);
  CHECK(limiter.check(connect(12, "10.0.1.3"), kT0 + 999 * kMs).admitted);
  // Once the bans end, their remembered offences give way to a new ban.
  limiter.tick(kT0 + kSec);
  for (int i = 0; i < 3; ++i) limiter.check(auth_fail(12, "10.0.1.3"), kT0 + kSec);
  stats = limiter.stats();
  CHECK(stats.bans_issued == 3);
  CHECK(stats.bans == 2);
  CHECK_FALSE(limiter.check(connect(13, "10.0.1.3"), kT0 + kSec).admitted);
}

TEST_CASE("ratelimit bans: instances naming different ban tables do not share bans",
          "[ratelimit][bans]") {
  Limiter first = make_banning({{"ban_table", "listener-a"}});
  Limiter second = make_banning({{"ban_table", "listener-b"}});
  REQUIRE_FALSE(offend(first, 1, kT0).admitted);
  CHECK_FALSE(first.check(connect(2, kAttacker), kT0).admitted);
  CHECK(second.check(connect(2, kAttacker), kT0).admitted);
}

}  // namespace keepdb::ratelimit::test
