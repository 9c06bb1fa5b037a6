// What every abuse test checks afterwards: data written before the abuse is intact and a
// fresh client is served. Also the common "error reply, then closed" expectation.
//
// Thread-safety: Catch2 assertions; call from the test thread.
#pragma once

#include <cstdint>
#include <string>

#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {

// Stores a known key through its own connection, before a test misbehaves.
void write_witness(std::uint16_t port);
// A new connection gets PONG and reads the witness back unchanged.
void check_still_serving(std::uint16_t port);
// The next reply is exactly `error` (without the leading '-'), then the server closes.
void check_error_then_close(RawClient& client, const std::string& error);

}  // namespace keepdb::integration
