// A real keepd authenticating clients with the auth-jwt plugin, for the jwt integration
// tests: its own temp dir holding a private copy of libkeepdb_auth_jwt.so, the key files
// the test writes, and a config whose one [[plugin]] is auth-jwt with the test's options.
// Key pairs are made with the openssl command line and tokens minted with the plugin's
// README script (plugins/auth-jwt/mint-jwt.sh), so the worked example is tested as written.
//
// Thread-safety: none; each object belongs to one test thread. Lifetime: the destructor
// SIGKILLs a keepd still running and removes the directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/plugin_tables.h"
#include "tests/integration/harness/temp_dir.h"

namespace keepdb::integration::jwt {

inline constexpr std::string_view kIssuer = "https://id.keepdb.test";
inline constexpr std::string_view kAudience = "keepdb-it";

// Runs `argv` (argv[0] searched in PATH for openssl) and returns stdout; throws with
// stderr when it fails.
std::string run_tool(const std::vector<std::string>& argv);

// A private key made with `openssl genpkey` for `alg` (RSA 2048, P-256, P-384, Ed25519),
// or 64 random bytes from `openssl rand` for HS* (enough for HS512); returns its path.
std::filesystem::path make_private_key(const std::filesystem::path& dir, std::string_view name,
                                       std::string_view alg);
// `openssl pkey -pubout` of a private key, as text.
std::string public_pem_of(const std::filesystem::path& private_key);

// mint-jwt.sh ALG KEY CLAIMS [KID]: the token.
std::string mint_with_script(std::string_view alg, const std::filesystem::path& key,
                             const std::string& claims_json, std::string_view kid = {});

// Seconds since the epoch.
std::uint64_t unix_now();
// Claims the default JwtKeepd policy accepts: iss, aud, `subject`, roles, iat now and
// exp now + `lifetime_s`, as JSON text.
std::string claims_json(std::string_view subject, std::string_view roles_json,
                        std::int64_t lifetime_s = 600);

class JwtKeepd {
 public:
  // The options of the plugin; "algorithms", "issuers" and "audience" are preset (every
  // algorithm, kIssuer, kAudience) and may be replaced before start().
  JwtKeepd();
  ~JwtKeepd();
  JwtKeepd(const JwtKeepd&) = delete;
  JwtKeepd& operator=(const JwtKeepd&) = delete;

  std::map<std::string, std::string>& options() { return options_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Writes the config and starts keepd; throws (with the log) if it does not get ready.
  void start();
  // SIGTERM and wait; a later start() is a restart with the options as they are then.
  void stop();
  // Runs `keepd config check` on the config as start() would write it.
  ProgramResult config_check();

  std::uint16_t port() const { return port_; }
  std::string log() const;
  bool wait_for_log(std::string_view text, milliseconds timeout = kReplyTimeout) const;

 private:
  // The auth-jwt [[plugin]] with the options as they are now.
  PluginTable plugin_table() const;
  void write_config(std::uint16_t port) const;

  TempDir dir_;
  std::map<std::string, std::string> options_;
  std::uint16_t port_ = 0;
  int run_number_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace keepdb::integration::jwt
