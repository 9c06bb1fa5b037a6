// Owns the local helpers of the auth suite that the shared harness does not offer: a plugin
// directory holding private copies of the built provider libraries, and AuthKeepd, a real
// keepd whose config chains authenticators ([plugins] / [[plugin]] tables and an auth-token
// secrets file). The harness's KeepdProcess renders a fixed config with no plugin tables
// and throws when start-up fails, so this helper reuses the harness pieces (render_config,
// ChildProcess, start_on_free_port, TempDir, poll_until) and adds the plugin tables, plus a
// start that expects keepd to exit, for the start-up failure tests.
//
// Thread-safety: none; each object belongs to one test thread. Lifetime: the destructor
// SIGKILLs a keepd still running and removes the directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/temp_dir.h"

namespace keepdb::integration::auth {

// The provider libraries this suite loads, as built by this build tree.
enum class Provider {
  kTokens,    // plugins/auth-token: libkeepdb_auth_token.so
  kDenyAll,   // fixture: rejects every attempt
  kDeferAll,  // fixture: defers every attempt to the next authenticator
  kSlowAuth,  // fixture: blocks `sleep_ms` in the plugin call, then accepts
};

// Where the build put a provider library.
std::filesystem::path built_library(Provider provider);
// The not_a_library fixture: a text file named lib....so.
std::filesystem::path not_a_library_file();

// A directory (mode 0755) of private copies of plugin libraries (mode 0755), as the plugin
// host's trust check wants them: nothing in it writable by group or others.
class PluginDir {
 public:
  explicit PluginDir(const std::filesystem::path& path);
  const std::filesystem::path& path() const { return path_; }
  // Copies a library in under its own file name; returns the file name.
  std::string add(const std::filesystem::path& library);
  std::string add(Provider provider) { return add(built_library(provider)); }

 private:
  std::filesystem::path path_;
};

// One line of the auth-token secrets file; the token is hashed when the file is written.
struct Grant {
  std::string token;
  std::string roles;  // comma-separated: read, write, admin
  std::string name;   // empty: the plugin names the principal token:<hash prefix>
};

struct AuthSetup {
  std::vector<Provider> chain{Provider::kTokens};  // [[plugin]] tables, in this order
  std::vector<Grant> grants;                       // the tokens plugin's secrets file
  std::filesystem::perms secrets_mode =
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  std::string tokens_sha256;             // sha256 pin of the tokens [[plugin]]; empty: none
  std::uint64_t slow_auth_sleep_ms = 0;  // the slow fixture's sleep_ms option; 0: its default
  IntegerKeys limits;                    // [limits] keys; unset keys keep keepd's defaults
  std::string extra_tables;              // more tables, verbatim (KeepdSettings::extra_tables)
};

// The [[plugin]] name this suite gives a provider in the config ("tokens", "deny", ...).
std::string_view plugin_name(Provider provider);

class AuthKeepd {
 public:
  // Writes the plugin dir, the secrets file and the config; does not start keepd.
  explicit AuthKeepd(AuthSetup setup);
  ~AuthKeepd();
  AuthKeepd(const AuthKeepd&) = delete;
  AuthKeepd& operator=(const AuthKeepd&) = delete;

  // Starts keepd on a free port and waits for its ready line; throws std::runtime_error
  // (with the log) if it exits or does not become ready.
  void start();
  // Starts keepd for a start-up that must fail: waits for it to exit and returns how it
  // ended; throws if it becomes ready or is still running at the deadline.
  ExitStatus start_expecting_exit();
  // SIGTERM, then waits for the exit (SIGKILL at the deadline).
  ExitStatus stop(milliseconds timeout = kStopTimeout);

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return process_->pid(); }  // of the current run; start() first
  bool running() { return process_ && process_->running(); }
  const std::filesystem::path& dir() const { return dir_.path(); }
  const PluginDir& plugins() const { return plugins_; }
  std::filesystem::path secrets_path() const { return dir_ / "secrets"; }
  std::filesystem::path config_path() const { return dir_ / "config.toml"; }

  // Everything the current run wrote: stderr (the log), then stdout.
  std::string log() const;
  // Polls the current run's log for `text`.
  bool wait_for_log(std::string_view text, milliseconds timeout = kReplyTimeout) const;

 private:
  enum class Launch { kReady, kPortTaken, kExited };
  void write_config(std::uint16_t port) const;
  void spawn(std::uint16_t port);
  Launch wait_until_ready_or_exit();

  AuthSetup setup_;
  TempDir dir_;
  PluginDir plugins_;
  std::uint16_t port_ = 0;
  int run_number_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace keepdb::integration::auth
