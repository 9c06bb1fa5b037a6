// Throttle: rate-limits one kind of log line that outsiders can trigger at will (refused
// peer handshakes, refused connections), so they cannot flood the log. At most `burst` lines
// pass per `window`; the lines held back are counted, and the next line that passes says how
// many there were. throttled() writes a line through a Throttle and appends that count as
// " (N similar lines suppressed)".
//
// Thread-safety: admit() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#include "kernel/log/log.h"

namespace keepdb::log {

class Throttle {
 public:
  using Clock = std::chrono::steady_clock;

  Throttle(std::uint32_t burst, Clock::duration window) : burst_(burst), window_(window) {}

  // nullopt: drop this line. Otherwise write it, with the number of lines dropped since
  // the last one written (0: none).
  std::optional<std::uint64_t> admit(Clock::time_point now = Clock::now());

 private:
  std::mutex mutex_;
  const std::uint32_t burst_;
  const Clock::duration window_;
  Clock::time_point window_start_{};
  std::uint32_t written_in_window_ = 0;
  std::uint64_t dropped_ = 0;
};

// Writes one line at `level` if `throttle` admits it, saying how many were suppressed.
template <typename... Parts>
void throttled(Throttle& throttle, Level level, const Parts&... parts) {
  if (!enabled(level)) return;
  const std::optional<std::uint64_t> suppressed = throttle.admit();
  if (!suppressed) return;
  if (*suppressed == 0) {
    line(level, parts...);
  } else {
    line(level, parts..., " (", *suppressed, " similar lines suppressed)");
  }
}

}  // namespace keepdb::log
