// A real keepd node for one test: its own private temp dir holding config.toml, the data
// dir and one stderr log file per run; started on a free loopback port and considered up
// once its log says "ready: clients on 127.0.0.1:PORT". Stops by SIGTERM (graceful) or
// SIGKILL (crash), and restarts on the same data dir.
//
// Thread-safety: none; owned by one test thread (clients on other threads only need the
// port). Lifetime: the destructor SIGKILLs a node that is still running and removes the dir.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/temp_dir.h"

namespace keepdb::integration {

class KeepdProcess {
 public:
  // Writes the config and starts the node; throws std::runtime_error (with the log) if it
  // does not become ready.
  explicit KeepdProcess(KeepdSettings settings = KeepdSettings());
  ~KeepdProcess();
  KeepdProcess(const KeepdProcess&) = delete;
  KeepdProcess& operator=(const KeepdProcess&) = delete;

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path config_path() const { return dir_ / "config.toml"; }
  std::filesystem::path data_dir() const { return dir_ / settings_.data_dir; }
  pid_t pid() const { return process_->pid(); }
  bool running() { return process_ && process_->running(); }

  // stderr of the current (or last) run.
  std::string log() const;
  // Polls the current run's log for `text`.
  bool wait_for_log(std::string_view text, milliseconds timeout = kReplyTimeout) const;

  // Sends a signal to the running node.
  void send_signal(int signal) { process_->send_signal(signal); }
  // Waits for the node to exit on its own; nullopt if it still runs at the deadline.
  std::optional<ExitStatus> wait_exit(milliseconds timeout = kStopTimeout) {
    return process_->wait(timeout);
  }
  // SIGTERM, then waits for exit; a node still running at the deadline is SIGKILLed and
  // reported as killed by signal 9.
  ExitStatus stop(milliseconds timeout = kStopTimeout);
  // SIGKILL: a crash, nothing flushed beyond what was already durable.
  ExitStatus kill9();
  // Starts again on the same config and data dir (after stop() or kill9()); keeps the
  // port unless another process took it meanwhile.
  void restart();
  // Starts again where the node must stop on its own, before or after its ready line: the
  // log of that run. Fails the test if it still runs after `timeout` or exits with 0.
  std::string restart_expecting_exit(milliseconds timeout);

 private:
  enum class RunResult { kReady, kPortTaken };
  RunResult run_on(std::uint16_t port);
  void start_on_any_free_port();
  std::filesystem::path log_path() const;

  KeepdSettings settings_;
  TempDir dir_;
  std::uint16_t port_ = 0;
  int run_number_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace keepdb::integration
