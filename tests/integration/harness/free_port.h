// Free loopback TCP ports for servers started by tests. keepd refuses port 0, so a test
// asks the kernel for an unused ephemeral port and hands it to the server. Another
// process can take it in between; servers started by the harness retry with a new port
// when the bind fails.
//
// Thread-safety: safe to call from any thread.
#pragma once

#include <cstdint>

namespace keepdb::integration {

// A port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();

}  // namespace keepdb::integration
