// The log lines a client can trigger at will (malformed requests, denied commands, closes
// for a limit, refused connections, failed accepts), each kind rate-limited on its own so a
// flood of bad clients writes a bounded number of lines, each later line saying how many
// were suppressed (log::throttled).
//
// Thread-safety: log::Throttle is thread-safe; the server uses these on its network thread.
#pragma once

#include <chrono>
#include <cstdint>

#include "kernel/log/throttle.h"

namespace keepdb::net {

// As many lines of one kind as the peer channel allows for refused peers: 10 per 10 s.
inline constexpr std::uint32_t kClientLogLinesPerWindow = 10;
inline constexpr auto kClientLogWindow = std::chrono::seconds(10);

struct ClientLogThrottles {
  log::Throttle protocol_errors{kClientLogLinesPerWindow, kClientLogWindow};
  log::Throttle denied_commands{kClientLogLinesPerWindow, kClientLogWindow};
  log::Throttle limit_closes{kClientLogLinesPerWindow, kClientLogWindow};
  log::Throttle refused_connections{kClientLogLinesPerWindow, kClientLogWindow};
  log::Throttle accept_failures{kClientLogLinesPerWindow, kClientLogWindow};
};

}  // namespace keepdb::net
