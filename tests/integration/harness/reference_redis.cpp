// Reference redis-server lifecycle.
#include "tests/integration/harness/reference_redis.h"

#include <stdexcept>
#include <string>

#include "tests/integration/harness/server_start.h"

#ifndef REDIS_SERVER_PATH
#error "REDIS_SERVER_PATH must be set by tests/integration/harness"
#endif

namespace keepdb::integration {

ReferenceRedis::ReferenceRedis() : dir_("redis") {
  port_ = start_on_free_port([this](std::uint16_t port) {
    return run_on(port) ? StartOutcome::kReady : StartOutcome::kPortTaken;
  });
}

bool ReferenceRedis::run_on(std::uint16_t port) {
  const auto log_path = dir_ / ("redis-" + std::to_string(port) + ".log");
  Redirects redirects;
  redirects.stdout_path = log_path;
  redirects.stderr_path = dir_ / "redis-stderr.log";
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{REDIS_SERVER_PATH, "--port", std::to_string(port), "--bind",
                               "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                               dir_.path().string(), "--daemonize", "no"},
      redirects);
  bool exited = false;
  const bool ready = poll_until(
      [&] {
        if (read_file(log_path).find("Ready to accept connections") != std::string::npos) {
          return true;
        }
        exited = !process_->running();
        return exited;
      },
      kStartTimeout);
  if (ready && !exited) return true;
  const std::string log = read_file(log_path);
  if (exited && log.find(kPortTakenLogText) != std::string::npos) return false;
  process_->kill_now();
  throw std::runtime_error("redis-server did not start; its log:\n" + log);
}

}  // namespace keepdb::integration
