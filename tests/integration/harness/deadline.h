// The integration tests' deadlines: how long a keepd may take to start, stop and answer,
// and poll_until (tests/support/deadline.h), the only way they wait for something to happen.
#pragma once

#include <chrono>

#include "tests/support/deadline.h"

namespace keepdb::integration {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

// Generous: the suite runs under ASan on two shared cores, and only a failing test waits
// them out.
inline constexpr milliseconds kStartTimeout = 30s;
inline constexpr milliseconds kStopTimeout = 30s;
inline constexpr milliseconds kReplyTimeout = 10s;

using test::poll_until;

}  // namespace keepdb::integration
