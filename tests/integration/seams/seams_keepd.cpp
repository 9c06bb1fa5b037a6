// SeamsKeepd: keepd configured with fixture plugins of any kind, started for real.
#include "tests/integration/seams/seams_keepd.h"

#include <signal.h>

#include <stdexcept>

#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/server_start.h"

#if !defined(KEEPDB_ADMISSION_SO) || !defined(KEEPDB_AUDIT_FILE_SO) || \
    !defined(KEEPDB_EXPIRING_AUTH_SO) || !defined(KEEPDB_TRANSPORT_KIND_SO) || \
    !defined(KEEPDB_TRANSPORT_FRAME_SO) || !defined(KEEPDB_PEER_PRINCIPAL_SO)
#error "the fixture library paths are set by tests/integration/seams/CMakeLists.txt"
#endif

namespace keepdb::integration::seams {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kReadyMarker = "ready: clients on 127.0.0.1:";

}  // namespace

fs::path admission_fixture() {
  return KEEPDB_ADMISSION_SO;
}
fs::path audit_fixture() {
  return KEEPDB_AUDIT_FILE_SO;
}
fs::path expiring_auth_fixture() {
  return KEEPDB_EXPIRING_AUTH_SO;
}
fs::path transport_kind_fixture() {
  return KEEPDB_TRANSPORT_KIND_SO;
}
fs::path transport_frame_fixture() {
  return KEEPDB_TRANSPORT_FRAME_SO;
}
fs::path peer_principal_fixture() {
  return KEEPDB_PEER_PRINCIPAL_SO;
}

SeamsKeepd::SeamsKeepd(SeamsSetup setup) : setup_(std::move(setup)), dir_("seams") {
  fill_plugin_dir(dir_ / "plugins", setup_.plugins);
}

SeamsKeepd::~SeamsKeepd() = default;  // ChildProcess SIGKILLs a running keepd

void SeamsKeepd::write_config(std::uint16_t port) const {
  KeepdSettings settings("seams");
  settings.limits = setup_.limits;
  settings.client_lines = setup_.client_lines;
  std::string text = render_config(settings, port);
  if (!setup_.accept_risks.empty() || !setup_.security_level.empty()) {
    text += "\n[security]\naccept_risks = [";
    for (const std::string& risk : setup_.accept_risks) text += toml_string(risk) + ",";
    text += "]\n";
    if (!setup_.security_level.empty()) {
      text += "level = " + toml_string(setup_.security_level) + "\n";
    }
  }
  std::string plugins_lines;
  if (setup_.audit_queue != 0) {
    plugins_lines += "audit_queue = " + std::to_string(setup_.audit_queue) + "\n";
  }
  if (setup_.auth_deadline_ms != 0) {
    plugins_lines += "auth_deadline_ms = " + std::to_string(setup_.auth_deadline_ms) + "\n";
  }
  text += render_plugin_tables(dir_ / "plugins", setup_.plugins, plugins_lines);
  write_file(config_path(), text);
}

void SeamsKeepd::spawn(std::uint16_t port) {
  write_config(port);
  port_ = port;
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{keepd_binary().string(), "run", "--config", config_path().string()},
      Redirects{.stdout_path = dir_ / "keepd.out", .stderr_path = dir_ / "keepd.log"});
}

void SeamsKeepd::start() {
  port_ = start_on_free_port([this](std::uint16_t port) {
    spawn(port);
    const std::string ready = std::string(kReadyMarker) + std::to_string(port);
    poll_until([&] { return !process_->running() || log().find(ready) != std::string::npos; },
               kStartTimeout);
    if (process_->running() && log().find(ready) != std::string::npos) return StartOutcome::kReady;
    if (log().find(kPortTakenLogText) != std::string::npos) return StartOutcome::kPortTaken;
    process_->kill_now();
    throw std::runtime_error("keepd did not become ready; its log:\n" + log());
  });
}

ExitStatus SeamsKeepd::start_expecting_exit() {
  spawn(free_port());
  if (const auto status = process_->wait(kStartTimeout)) return *status;
  process_->kill_now();
  throw std::runtime_error("keepd was expected to exit during start-up; its log:\n" + log());
}

ExitStatus SeamsKeepd::stop() {
  process_->send_signal(SIGTERM);
  if (const auto status = process_->wait(kStopTimeout)) return *status;
  return process_->kill_now();
}

std::string SeamsKeepd::log() const {
  return read_file(dir_ / "keepd.log") + read_file(dir_ / "keepd.out");
}

bool SeamsKeepd::wait_for_log(std::string_view text, milliseconds timeout) const {
  return poll_until([&] { return log().find(text) != std::string::npos; }, timeout);
}

}  // namespace keepdb::integration::seams
