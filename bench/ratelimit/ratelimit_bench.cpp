// Limiter::check, the ratelimit plugin's per-request cost, on a clock advanced 1 µs per call
// so buckets neither fill nor run dry by accident. Every limit is configured and, except in
// the Denied case, never reached. Arguments: the number of tracked identities (connections,
// addresses and principals), 1 or 100000.
//   Hit:  a command on an open connection of a tracked principal (the common case).
//   Miss: a command from a principal not tracked, the table full: insert plus LRU eviction.
//   Connect: an address not tracked connects and disconnects, the table full.
//   Denied: a command refused by the connection's bucket.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "plugins/ratelimit/limiter.h"

namespace {

using namespace keepdb::ratelimit;

constexpr std::uint64_t kT0 = 1'000'000'000'000;

Config config(std::size_t identities, std::string_view per_connection_rate) {
  const std::string cap = std::to_string(identities);
  const std::vector<std::pair<std::string_view, std::string_view>> options = {
      {"connections_per_ip", "100"},
      {"new_connections_per_ip_per_second", "1000000"},
      {"commands_per_second_per_connection", per_connection_rate},
      {"commands_per_second_per_principal", "1000000"},
      {"bytes_per_second_per_connection", "1000000000"},
      {"command_costs", "scan=10,keys=100,flushdb=1000"},
      {"auth_failure_limit", "10"},
      {"max_tracked_ips", cap},
      {"max_tracked_principals", cap},
      {"max_tracked_connections", cap},
      {"stats_interval_ms", "0"}};
  return parse_config(options);
}

std::string address(std::size_t n) {
  return "10." + std::to_string((n >> 16) & 0xff) + "." + std::to_string((n >> 8) & 0xff) + "." +
         std::to_string(n & 0xff);
}

// `identities` open connections, each from its own address with its own principal.
struct Tracked {
  Limiter limiter;
  std::vector<std::string> addresses;
  std::vector<std::string> principals;

  Tracked(std::size_t identities, std::string_view rate)
      : limiter(config(identities, rate), HashSeed{}, {}) {
    for (std::size_t n = 0; n < identities; ++n) {
      addresses.push_back(address(n));
      principals.push_back("user" + std::to_string(n));
      limiter.check({KDB_ADM_CONNECT, n, addresses[n], {}, {}, 0}, kT0);
    }
  }
  Event command(std::size_t n, std::string_view principal) const {
    return {KDB_ADM_COMMAND, n, addresses[n], principal, "SET", 64};
  }
};

// A stride through the identities that visits them all in an order the caches cannot follow.
std::size_t next(std::size_t n, std::size_t count) {
  return (n + 7919) % count;
}

void BM_CheckHit(benchmark::State& state) {
  const auto identities = static_cast<std::size_t>(state.range(0));
  Tracked tracked(identities, "1000000");
  std::uint64_t now = kT0;
  std::size_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tracked.limiter.check(tracked.command(n, tracked.principals[n]), now));
    now += 1000;
    n = next(n, identities);
  }
  if (tracked.limiter.stats().denials != decltype(Stats::denials){}) state.SkipWithError("denied");
}

void BM_CheckMiss(benchmark::State& state) {
  const auto identities = static_cast<std::size_t>(state.range(0));
  Tracked tracked(identities, "1000000");
  // Principals the table has never seen, prepared outside the timed loop.
  std::vector<std::string> strangers;
  for (std::size_t i = 0; i < 4096; ++i) strangers.push_back("stranger" + std::to_string(i));
  std::uint64_t now = kT0;
  std::size_t n = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tracked.limiter.check(tracked.command(n, strangers[i]), now));
    now += 1000;
    n = next(n, identities);
    i = (i + 1) % strangers.size();
  }
}

void BM_ConnectMiss(benchmark::State& state) {
  const auto identities = static_cast<std::size_t>(state.range(0));
  Tracked tracked(identities, "1000000");
  // Fill the address table with idle addresses so every connect evicts one.
  for (std::size_t n = 0; n < identities; ++n) {
    tracked.limiter.check({KDB_ADM_DISCONNECT, n, tracked.addresses[n], {}, {}, 0}, kT0);
  }
  std::vector<std::string> strangers;
  for (std::size_t i = 0; i < 4096; ++i) strangers.push_back("192.168." + address(i).substr(5));
  std::uint64_t now = kT0;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::uint64_t conn = 1'000'000 + i;
    benchmark::DoNotOptimize(
        tracked.limiter.check({KDB_ADM_CONNECT, conn, strangers[i], {}, {}, 0}, now));
    tracked.limiter.check({KDB_ADM_DISCONNECT, conn, strangers[i], {}, {}, 0}, now);
    now += 1000;
    i = (i + 1) % strangers.size();
  }
  state.SetLabel("connect + disconnect");
}

void BM_CheckDenied(benchmark::State& state) {
  const auto identities = static_cast<std::size_t>(state.range(0));
  Tracked tracked(identities, "0.001");
  for (std::size_t n = 0; n < identities; ++n) {
    tracked.limiter.check(tracked.command(n, tracked.principals[n]), kT0);
  }
  std::size_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tracked.limiter.check(tracked.command(n, tracked.principals[n]), kT0));
    n = next(n, identities);
  }
}

BENCHMARK(BM_CheckHit)->Arg(1)->Arg(100'000);
BENCHMARK(BM_CheckMiss)->Arg(1)->Arg(100'000);
BENCHMARK(BM_ConnectMiss)->Arg(1)->Arg(100'000);
BENCHMARK(BM_CheckDenied)->Arg(1)->Arg(100'000);

}  // namespace
