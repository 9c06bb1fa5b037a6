// The Debian redis-tools clients run against a server under test: redis-cli and
// redis-benchmark, always on 127.0.0.1 and a given port, with their output captured.
//
// Thread-safety: stateless; each call runs its own child process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/integration/harness/child_process.h"

namespace keepdb::integration {

// How redis-cli formats replies. It picks raw output when stdout is not a terminal, so
// tests always choose explicitly.
enum class CliOutput {
  kRaw,    // --raw: bare values, one per line
  kNoRaw,  // --no-raw: the interactive format, "(integer) 1", "(nil)", "1) ..."
};

class RedisCli {
 public:
  explicit RedisCli(std::uint16_t port) : port_(port) {}

  // redis-cli -h 127.0.0.1 -p PORT <output flag> <args...>, with `stdin_text` on stdin.
  ProgramResult run(const std::vector<std::string>& args, CliOutput output = CliOutput::kNoRaw,
                    const std::string& stdin_text = "") const;
  // One command in --raw mode; returns stdout without its final newline. Fails the
  // current test (throws) if redis-cli exits non-zero.
  std::string raw(const std::vector<std::string>& command) const;

 private:
  std::uint16_t port_;
};

// redis-benchmark -h 127.0.0.1 -p PORT <args...>
ProgramResult run_redis_benchmark(std::uint16_t port, const std::vector<std::string>& args);

}  // namespace keepdb::integration
