// Free loopback TCP ports for servers started by tests. keepd refuses port 0, so a test
// asks the kernel for an unused ephemeral port and hands it to the server. Another
// process can take it in between; servers started by the harness retry with a new port
// when the bind fails.
//
// Thread-safety: safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace keepdb::integration {

// A port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();

// `count` distinct such ports, for servers that must not share one (the nodes of a
// cluster): two calls of free_port() may return the same port.
std::vector<std::uint16_t> free_ports(std::size_t count);

}  // namespace keepdb::integration
