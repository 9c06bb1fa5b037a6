// A real Redis 7 server (Debian redis-server) started for one test, with persistence off,
// in its own temp dir and on a free loopback port: the reference KeepDB's replies are
// compared with byte for byte.
//
// Thread-safety: none; owned by one test thread. Lifetime: SIGKILLed on destruction.
#pragma once

#include <cstdint>
#include <memory>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/temp_dir.h"

namespace keepdb::integration {

class ReferenceRedis {
 public:
  // Starts redis-server and waits until it accepts connections; throws on failure.
  ReferenceRedis();
  std::uint16_t port() const { return port_; }

 private:
  bool run_on(std::uint16_t port);  // false: the port was taken

  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace keepdb::integration
