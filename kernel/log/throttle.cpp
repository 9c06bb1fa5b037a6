// Fixed-window rate limit for log lines.
#include "kernel/log/throttle.h"

namespace keepdb::log {

std::optional<std::uint64_t> Throttle::admit(Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  if (now - window_start_ >= window_) {
    window_start_ = now;
    written_in_window_ = 0;
  }
  if (written_in_window_ >= burst_) {
    ++dropped_;
    return std::nullopt;
  }
  ++written_in_window_;
  const std::uint64_t dropped = dropped_;
  dropped_ = 0;
  return dropped;
}

}  // namespace keepdb::log
