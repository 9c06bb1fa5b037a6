// Polling with a deadline: the only way integration tests wait for something to happen.
// No test sleeps for a fixed time and hopes; it polls a condition until a deadline.
//
// Thread-safety: stateless free functions.
#pragma once

#include <chrono>
#include <functional>

namespace keepdb::integration {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

// Deadlines are generous because the suite runs under ASan on two shared cores; a passing
// test returns as soon as its condition holds, so only a failing test pays the full wait.
inline constexpr milliseconds kStartTimeout = 30s;
inline constexpr milliseconds kStopTimeout = 30s;
inline constexpr milliseconds kReplyTimeout = 10s;

// Calls `condition` until it returns true (returns true) or `timeout` has passed (returns
// false), pausing `interval` between calls.
bool poll_until(const std::function<bool()>& condition, milliseconds timeout,
                milliseconds interval = 10ms);

}  // namespace keepdb::integration
