// JwtKeepd and the openssl command-line helpers of the jwt integration tests.
#include "tests/integration/jwt/jwt_keepd.h"

#include <signal.h>

#include <chrono>
#include <stdexcept>

#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/plugin_tables.h"
#include "tests/integration/harness/server_start.h"

#if !defined(KEEPDB_AUTH_JWT_SO) || !defined(KEEPDB_MINT_JWT_SCRIPT) || !defined(KEEPDB_OPENSSL)
#error "set by tests/integration/jwt/CMakeLists.txt"
#endif

namespace keepdb::integration::jwt {

namespace fs = std::filesystem;

std::string run_tool(const std::vector<std::string>& argv) {
  const ProgramResult result = run_program(argv);
  if (!result.status.exited_normally(0)) {
    throw std::runtime_error(argv[0] + " failed (" + result.status.describe() + "): " + result.err);
  }
  return result.out;
}

fs::path make_private_key(const fs::path& dir, std::string_view name, std::string_view alg) {
  const fs::path path = dir / name;
  const std::string family = std::string(alg.substr(0, 2));
  if (family == "HS") {
    run_tool({KEEPDB_OPENSSL, "rand", "-out", path.string(), "64"});
  } else if (family == "RS" || family == "PS") {
    run_tool({KEEPDB_OPENSSL, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
              "-out", path.string()});
  } else if (family == "ES") {
    run_tool({KEEPDB_OPENSSL, "genpkey", "-algorithm", "EC", "-pkeyopt",
              alg == "ES256" ? "ec_paramgen_curve:P-256" : "ec_paramgen_curve:P-384", "-out",
              path.string()});
  } else {
    run_tool({KEEPDB_OPENSSL, "genpkey", "-algorithm", "ED25519", "-out", path.string()});
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return path;
}

std::string public_pem_of(const fs::path& private_key) {
  return run_tool({KEEPDB_OPENSSL, "pkey", "-in", private_key.string(), "-pubout"});
}

std::string mint_with_script(std::string_view alg, const fs::path& key,
                             const std::string& claims_json, std::string_view kid) {
  std::vector<std::string> argv{KEEPDB_MINT_JWT_SCRIPT, std::string(alg), key.string(),
                                claims_json};
  if (!kid.empty()) argv.emplace_back(kid);
  std::string token = run_tool(argv);
  while (!token.empty() && token.back() == '\n') token.pop_back();
  return token;
}

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::string claims_json(std::string_view subject, std::string_view roles_json,
                        std::int64_t lifetime_s) {
  const auto now = static_cast<std::int64_t>(unix_now());
  return "{\"iss\":\"" + std::string(kIssuer) + "\",\"aud\":\"" + std::string(kAudience) +
         "\",\"sub\":\"" + std::string(subject) + "\",\"roles\":" + std::string(roles_json) +
         ",\"iat\":" + std::to_string(now) + ",\"exp\":" + std::to_string(now + lifetime_s) + "}";
}

JwtKeepd::JwtKeepd()
    : dir_("jwt"),
      options_{{"algorithms", "HS256,HS384,HS512,RS256,RS384,RS512,PS256,ES256,ES384,EdDSA"},
               {"issuers", std::string(kIssuer)},
               {"audience", std::string(kAudience)}} {
  fill_plugin_dir(dir_ / "plugins", {plugin_table()});
}

JwtKeepd::~JwtKeepd() = default;  // ChildProcess SIGKILLs a running keepd

PluginTable JwtKeepd::plugin_table() const {
  return PluginTable("jwt", KEEPDB_AUTH_JWT_SO, {options_.begin(), options_.end()});
}

void JwtKeepd::write_config(std::uint16_t port) const {
  std::string text = render_config(KeepdSettings("jwt"), port);
  text += render_plugin_tables(dir_ / "plugins", {plugin_table()});
  write_file(dir_ / "config.toml", text);
}

void JwtKeepd::start() {
  port_ = start_on_free_port([this](std::uint16_t port) {
    write_config(port);
    ++run_number_;
    const std::string run = "keepd-run" + std::to_string(run_number_);
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{keepd_binary().string(), "run", "--config",
                                 (dir_ / "config.toml").string()},
        Redirects{.stdout_path = dir_ / (run + ".out"), .stderr_path = dir_ / (run + ".log")});
    const std::string ready = "ready: clients on 127.0.0.1:" + std::to_string(port);
    const bool settled =
        poll_until([&] { return log().find(ready) != std::string::npos || !process_->running(); },
                   kStartTimeout);
    if (settled && process_->running()) return StartOutcome::kReady;
    if (log().find(kPortTakenLogText) != std::string::npos) return StartOutcome::kPortTaken;
    process_->kill_now();
    throw std::runtime_error("keepd did not get ready; its log:\n" + log());
  });
}

void JwtKeepd::stop() {
  process_->send_signal(SIGTERM);
  if (!process_->wait(kStopTimeout)) process_->kill_now();
}

ProgramResult JwtKeepd::config_check() {
  write_config(free_port());
  return run_program({keepd_binary().string(), "config", "check", (dir_ / "config.toml").string()});
}

std::string JwtKeepd::log() const {
  const std::string run = "keepd-run" + std::to_string(run_number_);
  return read_file(dir_ / (run + ".log")) + read_file(dir_ / (run + ".out"));
}

bool JwtKeepd::wait_for_log(std::string_view text, milliseconds timeout) const {
  return poll_until([&] { return log().find(text) != std::string::npos; }, timeout);
}

}  // namespace keepdb::integration::jwt
