// Starting a server on a free port when keepd and redis-server both refuse port 0: pick a
// free port, try, and pick another if a parallel test took it first.
//
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace keepdb::integration {

enum class StartOutcome { kReady, kPortTaken };

// What keepd and redis-server log when a port they were given is taken.
inline constexpr std::string_view kPortTakenLogText = "Address already in use";

// Calls `try_start(port)` with fresh free ports until it reports kReady (returns the port)
// or has tried a few times (throws std::runtime_error). `try_start` throws for any
// failure other than a port collision.
std::uint16_t start_on_free_port(const std::function<StartOutcome(std::uint16_t port)>& try_start);

}  // namespace keepdb::integration
