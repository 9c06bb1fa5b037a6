// Free-port start with retry on a port collision.
#include "tests/integration/harness/server_start.h"

#include <stdexcept>

#include "tests/integration/harness/free_port.h"

namespace keepdb::integration {

std::uint16_t start_on_free_port(const std::function<StartOutcome(std::uint16_t)>& try_start) {
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const std::uint16_t port = free_port();
    if (try_start(port) == StartOutcome::kReady) return port;
  }
  throw std::runtime_error("could not start a server: every free port tried was taken");
}

}  // namespace keepdb::integration
