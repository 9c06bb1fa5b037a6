// AuthKeepd and PluginDir: keepd configured with an authenticator chain, started for real.
#include "tests/integration/auth/auth_keepd.h"

#include <signal.h>

#include <stdexcept>

#include "tests/integration/auth/auth_support.h"
#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/plugin_tables.h"
#include "tests/integration/harness/server_start.h"

#if !defined(KEEPDB_AUTH_TOKEN_SO) || !defined(KEEPDB_DENY_ALL_SO) || \
    !defined(KEEPDB_DEFER_ALL_SO) || !defined(KEEPDB_SLOW_AUTH_SO) || \
    !defined(KEEPDB_NOT_A_LIBRARY_SO)
#error "the plugin library paths are set by tests/integration/auth/CMakeLists.txt"
#endif

namespace keepdb::integration::auth {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kReadyMarker = "ready: clients on 127.0.0.1:";
constexpr std::string_view kPortTakenMarker = "Address already in use";
std::string secrets_text(const std::vector<Grant>& grants) {
  std::string text = "# written by the auth integration tests\n";
  for (const Grant& grant : grants) {
    text += token_hash(grant.token) + " " + grant.roles;
    if (!grant.name.empty()) text += " " + grant.name;
    text += "\n";
  }
  return text;
}

}  // namespace

fs::path built_library(Provider provider) {
  switch (provider) {
    case Provider::kTokens:
      return KEEPDB_AUTH_TOKEN_SO;
    case Provider::kDenyAll:
      return KEEPDB_DENY_ALL_SO;
    case Provider::kDeferAll:
      return KEEPDB_DEFER_ALL_SO;
    case Provider::kSlowAuth:
      return KEEPDB_SLOW_AUTH_SO;
  }
  throw std::logic_error("unknown provider");
}

fs::path not_a_library_file() {
  return KEEPDB_NOT_A_LIBRARY_SO;
}

std::string_view plugin_name(Provider provider) {
  switch (provider) {
    case Provider::kTokens:
      return "tokens";
    case Provider::kDenyAll:
      return "deny";
    case Provider::kDeferAll:
      return "defer";
    case Provider::kSlowAuth:
      return "slow";
  }
  throw std::logic_error("unknown provider");
}

PluginDir::PluginDir(const fs::path& path) : path_(path) {
  fill_plugin_dir(path_, {});
}

std::string PluginDir::add(const fs::path& library) {
  fill_plugin_dir(path_, {PluginTable(library.filename().string(), library)});
  return library.filename().string();
}

AuthKeepd::AuthKeepd(AuthSetup setup)
    : setup_(std::move(setup)), dir_("auth"), plugins_(dir_ / "plugins") {
  write_file(secrets_path(), secrets_text(setup_.grants));
  fs::permissions(secrets_path(), setup_.secrets_mode);
}

AuthKeepd::~AuthKeepd() = default;  // ChildProcess SIGKILLs a running keepd

void AuthKeepd::write_config(std::uint16_t port) const {
  KeepdSettings settings;
  settings.limits = setup_.limits;
  settings.extra_tables = setup_.extra_tables;
  std::string text = render_config(settings, port);
  text += "\n[plugins]\ndir = " + toml_string(plugins_.path().string()) + "\n";
  for (const Provider provider : setup_.chain) {
    text += "\n[[plugin]]\nname = " + toml_string(plugin_name(provider)) + "\n";
    text += "path = " + toml_string(built_library(provider).filename().string()) + "\n";
    if (provider == Provider::kTokens) {
      if (!setup_.tokens_sha256.empty()) {
        text += "sha256 = " + toml_string(setup_.tokens_sha256) + "\n";
      }
      text += "[plugin.options]\nsecrets_file = " + toml_string(secrets_path().string()) + "\n";
    } else if (provider == Provider::kSlowAuth && setup_.slow_auth_sleep_ms != 0) {
      text += "[plugin.options]\nsleep_ms = " + std::to_string(setup_.slow_auth_sleep_ms) + "\n";
    }
  }
  write_file(config_path(), text);
}

void AuthKeepd::spawn(std::uint16_t port) {
  // Copied on every start, so a test may not rely on any earlier copy.
  for (const Provider provider : setup_.chain) plugins_.add(provider);
  write_config(port);
  port_ = port;
  ++run_number_;
  const std::string run = "keepd-run" + std::to_string(run_number_);
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{keepd_binary().string(), "run", "--config", config_path().string()},
      Redirects{.stdout_path = dir_ / (run + ".out"), .stderr_path = dir_ / (run + ".log")});
}

AuthKeepd::Launch AuthKeepd::wait_until_ready_or_exit() {
  const std::string ready_line = std::string(kReadyMarker) + std::to_string(port_);
  bool exited = false;
  const bool settled = poll_until(
      [&] {
        if (log().find(ready_line) != std::string::npos) return true;
        exited = !process_->running();
        return exited;
      },
      kStartTimeout);
  if (!settled) return Launch::kExited;  // neither: the callers treat it as a failure
  if (!exited) return Launch::kReady;
  return log().find(kPortTakenMarker) != std::string::npos ? Launch::kPortTaken : Launch::kExited;
}

void AuthKeepd::start() {
  port_ = start_on_free_port([this](std::uint16_t port) {
    spawn(port);
    switch (wait_until_ready_or_exit()) {
      case Launch::kReady:
        return StartOutcome::kReady;
      case Launch::kPortTaken:
        return StartOutcome::kPortTaken;
      case Launch::kExited:
        break;
    }
    const std::string why = process_->running()
                                ? "did not log ready in time"
                                : "exited (" + process_->wait(0ms)->describe() + ")";
    process_->kill_now();
    throw std::runtime_error("keepd " + why + "; its log:\n" + log());
  });
}

ExitStatus AuthKeepd::start_expecting_exit() {
  spawn(free_port());
  const bool ready = wait_until_ready_or_exit() == Launch::kReady;
  if (const auto status = process_->wait(0ms); status && !ready) return *status;
  process_->kill_now();
  throw std::runtime_error(std::string("keepd was expected to exit during start-up but ") +
                           (ready ? "became ready" : "is still running") + "; its log:\n" + log());
}

ExitStatus AuthKeepd::stop(milliseconds timeout) {
  process_->send_signal(SIGTERM);
  if (const auto status = process_->wait(timeout)) return *status;
  return process_->kill_now();
}

std::string AuthKeepd::log() const {
  const std::string run = "keepd-run" + std::to_string(run_number_);
  return read_file(dir_ / (run + ".log")) + read_file(dir_ / (run + ".out"));
}

bool AuthKeepd::wait_for_log(std::string_view text, milliseconds timeout) const {
  return poll_until([&] { return log().find(text) != std::string::npos; }, timeout);
}

}  // namespace keepdb::integration::auth
