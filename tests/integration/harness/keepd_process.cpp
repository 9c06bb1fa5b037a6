// keepd node lifecycle for tests: config, spawn, readiness from the log, stop, kill, restart.
#include "tests/integration/harness/keepd_process.h"

#include <signal.h>

#include <stdexcept>

#include "tests/integration/harness/server_start.h"

namespace keepdb::integration {

namespace {

constexpr std::string_view kReadyMarker = "ready: clients on 127.0.0.1:";

}  // namespace

KeepdProcess::KeepdProcess(KeepdSettings settings)
    : settings_(std::move(settings)), dir_(settings_.label) {
  start_on_any_free_port();
}

void KeepdProcess::start_on_any_free_port() {
  port_ = start_on_free_port([this](std::uint16_t port) {
    return run_on(port) == RunResult::kReady ? StartOutcome::kReady : StartOutcome::kPortTaken;
  });
}

KeepdProcess::~KeepdProcess() = default;  // ChildProcess SIGKILLs a running node

std::filesystem::path KeepdProcess::log_path() const {
  return dir_ / ("keepd-run" + std::to_string(run_number_) + ".log");
}

std::string KeepdProcess::log() const {
  return read_file(log_path());
}

bool KeepdProcess::wait_for_log(std::string_view text, milliseconds timeout) const {
  return poll_until([&] { return log().find(text) != std::string::npos; }, timeout);
}

KeepdProcess::RunResult KeepdProcess::run_on(std::uint16_t port) {
  write_file(config_path(), render_config(settings_, port));
  ++run_number_;
  Redirects redirects;
  redirects.stderr_path = log_path();
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{keepd_binary().string(), "run", "--config", config_path().string()},
      redirects);
  const std::string ready_line = std::string(kReadyMarker) + std::to_string(port);
  bool exited = false;
  const bool ready = poll_until(
      [&] {
        if (log().find(ready_line) != std::string::npos) return true;
        exited = !process_->running();
        return exited;
      },
      kStartTimeout);
  if (ready && !exited) return RunResult::kReady;
  if (exited && log().find(kPortTakenLogText) != std::string::npos) return RunResult::kPortTaken;
  const std::string why =
      exited ? "exited (" + process_->wait(0ms)->describe() + ")" : "did not log ready in time";
  process_->kill_now();
  throw std::runtime_error("keepd " + why + "; its log:\n" + log());
}

ExitStatus KeepdProcess::stop(milliseconds timeout) {
  process_->send_signal(SIGTERM);
  if (auto status = process_->wait(timeout)) return *status;
  return process_->kill_now();
}

ExitStatus KeepdProcess::kill9() {
  return process_->kill_now();
}

void KeepdProcess::restart() {
  if (process_ && process_->running()) throw std::logic_error("restart() while keepd runs");
  if (run_on(port_) == RunResult::kReady) return;
  start_on_any_free_port();
}

std::string KeepdProcess::restart_expecting_exit(milliseconds timeout) {
  try {
    restart();
  } catch (const std::runtime_error& exited_before_ready) {
    return exited_before_ready.what();
  }
  const auto status = wait_exit(timeout);
  if (!status) throw std::runtime_error("keepd still runs; its log:\n" + log());
  if (status->exited_normally(0)) {
    throw std::runtime_error("keepd exited with 0; its log:\n" + log());
  }
  return log();
}

}  // namespace keepdb::integration
