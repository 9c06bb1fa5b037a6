// Polling with a deadline.
#include "tests/integration/harness/deadline.h"

#include <thread>

namespace keepdb::integration {

bool poll_until(const std::function<bool()>& condition, milliseconds timeout,
                milliseconds interval) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace keepdb::integration
