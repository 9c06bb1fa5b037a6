// Waiting with a deadline, for every test tier: no test sleeps for a fixed time and hopes;
// it polls a condition, or runs its event loop, until the condition holds or a deadline
// passes. A passing test returns as soon as its condition holds, so deadlines can be
// generous (the suite runs under ASan on two shared cores) and only a failing test pays
// them in full.
//
// Thread-safety: stateless function templates; `condition` runs on the caller's thread.
#pragma once

#include <chrono>
#include <thread>

namespace keepdb::test {

// Calls `condition` until it returns true (then true) or `timeout` has passed (then false),
// pausing `interval` between calls.
template <typename Condition>
bool poll_until(Condition&& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

// Runs `io` (an Asio io_context, or anything with restart() and run_for()) in slices of
// `slice` until `done()` holds (then true) or `timeout` has passed (then false).
template <typename IoContext, typename Done>
bool run_until(IoContext& io, Done&& done, std::chrono::milliseconds timeout,
               std::chrono::milliseconds slice = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.restart();
    io.run_for(slice);
  }
}

}  // namespace keepdb::test
