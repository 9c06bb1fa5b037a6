// A client that sends a bulk over limits.max_bulk_bytes, body and all, reads the protocol
// error before the connection closes: the server must not close with the client's bytes
// unread (that makes the kernel send a reset, which destroys the queued error reply).
#include <catch2/catch.hpp>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/limits/survival.h"

using namespace keepdb::integration;

namespace {

constexpr std::uint64_t kMaxBulk = 1 << 20;
constexpr std::size_t kSentBody = 4u << 20;  // several times what the server reads at once

}  // namespace

TEST_CASE("a client sending a bulk over the limit reads the error, then the close",
          "[oversized]") {
  // Sockets on the network thread, then on two I/O threads ([client] io_threads).
  const unsigned io_threads = GENERATE(0u, 2u);
  CAPTURE(io_threads);
  KeepdProcess keepd(
      KeepdSettings("oversized-bulk").limit("max_bulk_bytes", kMaxBulk).io_threads(io_threads));
  write_witness(keepd.port());
  for (int attempt = 0; attempt < 3; ++attempt) {
    INFO("attempt " << attempt);
    RawClient client(keepd.port());
    const std::string header =
        "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + std::to_string(kSentBody) + "\r\n";
    // The server reads (and discards) the rest, so the whole body can be sent.
    CHECK(client.send(header + std::string(kSentBody, 'v') + "\r\n"));
    check_error_then_close(client, "ERR Protocol error: invalid bulk length");
  }
  check_still_serving(keepd.port());
}
