// Helpers for the ratelimit unit tests: a Config from option pairs, events, and the fake
// clock's units. Every test passes time explicitly; nothing sleeps.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "plugins/ratelimit/limiter.h"

namespace keepdb::ratelimit::test {

inline constexpr std::uint64_t kMs = 1'000'000;
inline constexpr std::uint64_t kSec = 1'000 * kMs;
// The fake clock starts well after 0, as a monotonic clock does.
inline constexpr std::uint64_t kT0 = 1'000 * kSec;

using Options = std::initializer_list<std::pair<std::string_view, std::string_view>>;

inline Config config(Options options) {
  const std::vector<std::pair<std::string_view, std::string_view>> pairs(options);
  return parse_config(pairs);
}

inline Event connect(std::uint64_t conn, std::string_view addr) {
  return {KDB_ADM_CONNECT, conn, addr, {}, {}, 0};
}
inline Event disconnect(std::uint64_t conn, std::string_view addr) {
  return {KDB_ADM_DISCONNECT, conn, addr, {}, {}, 0};
}
inline Event auth_fail(std::uint64_t conn, std::string_view addr) {
  return {KDB_ADM_AUTH_FAIL, conn, addr, {}, {}, 0};
}
inline Event auth_ok(std::uint64_t conn, std::string_view addr, std::string_view principal) {
  return {KDB_ADM_AUTH_OK, conn, addr, principal, {}, 0};
}
inline Event command(std::uint64_t conn, std::string_view addr, std::string_view name = "GET",
                     std::string_view principal = {}, std::uint64_t bytes = 0) {
  return {KDB_ADM_COMMAND, conn, addr, principal, name, bytes};
}

inline std::uint64_t denials(const Limiter& limiter, Reason reason) {
  return limiter.stats().denials[static_cast<std::size_t>(reason)];
}

}  // namespace keepdb::ratelimit::test
