// The wall clock expiry is measured against: Unix time in milliseconds. The leader stamps
// each write batch with it (op_batch.h) and reads compare deadlines with it (NodeContext).
// A WallClock is injectable so tests can move time by hand.
//
// Thread-safety: unix_time_ms() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace keepdb::commands {

using WallClock = std::function<std::uint64_t()>;

inline std::uint64_t unix_time_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace keepdb::commands
