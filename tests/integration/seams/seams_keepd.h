// Owns what the seams suite needs to run a real keepd with any [[plugin]] tables: a trusted
// plugin directory of private copies of the built fixture libraries, the config text
// (harness render_config plus [security] and the harness's plugin tables, plugin_tables.h),
// and start/stop around the harness's ChildProcess and start_on_free_port.
//
// Thread-safety: none; one test thread. Lifetime: the destructor SIGKILLs a keepd still
// running and removes the directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/plugin_tables.h"
#include "tests/integration/harness/temp_dir.h"

namespace keepdb::integration::seams {

// The fixture libraries this suite loads, as built by this build tree.
std::filesystem::path admission_fixture();
std::filesystem::path audit_fixture();
std::filesystem::path expiring_auth_fixture();
std::filesystem::path transport_kind_fixture();
std::filesystem::path transport_frame_fixture();
std::filesystem::path peer_principal_fixture();

using integration::PluginTable;  // the suites name it seams::PluginTable

struct SeamsSetup {
  explicit SeamsSetup(std::vector<PluginTable> plugins_) : plugins(std::move(plugins_)) {}

  std::vector<PluginTable> plugins;
  std::string client_lines;  // KeepdSettings::client_lines
  IntegerKeys limits;
  std::uint64_t audit_queue = 0;  // [plugins] audit_queue; 0: keepd's default
  std::uint64_t auth_deadline_ms = 0;  // [plugins] auth_deadline_ms; 0: keepd's default
  std::vector<std::string> accept_risks;
  std::string security_level;  // [security] level; empty: not written (keepd's default)
};

class SeamsKeepd {
 public:
  explicit SeamsKeepd(SeamsSetup setup);
  ~SeamsKeepd();
  SeamsKeepd(const SeamsKeepd&) = delete;
  SeamsKeepd& operator=(const SeamsKeepd&) = delete;

  // Starts on a free port and waits for the ready line; throws with the log otherwise.
  void start();
  // Starts for a start-up that must fail: returns how keepd exited.
  ExitStatus start_expecting_exit();
  // SIGTERM, then waits (SIGKILL at the deadline).
  ExitStatus stop();

  // The setup the config is written from; change it, then rewrite_config() (a reload test).
  SeamsSetup& setup() { return setup_; }
  // Writes the config again from setup() for the port keepd runs on.
  void rewrite_config() const { write_config(port_); }
  void send_signal(int signal) { process_->send_signal(signal); }
  bool running() { return process_ && process_->running(); }
  pid_t pid() const { return process_->pid(); }  // after start()

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path config_path() const { return dir_ / "config.toml"; }
  std::string log() const;
  bool wait_for_log(std::string_view text, milliseconds timeout = kReplyTimeout) const;

 private:
  void spawn(std::uint16_t port);
  void write_config(std::uint16_t port) const;

  SeamsSetup setup_;
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace keepdb::integration::seams
