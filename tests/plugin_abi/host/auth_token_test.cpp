// The auth-token plugin, loaded by the real host: hashes in a private secrets file,
// constant-time comparison, minimum length, principal names.
#include <catch2/catch.hpp>

#include "kernel/plugin_host/plugin_error.h"
#include "kernel/plugin_host/plugin_set.h"
#include "plugins/auth-token/token_digest.h"
#include "tests/plugin_abi/host/fixture_paths.h"
#include "tests/plugin_abi/host/test_support.h"

namespace keepdb::plugin_host::testing {
namespace {

using Verdict = AuthOutcome::Verdict;
using std::filesystem::perms;

const std::string kAdminToken = "admin-token-0123456789abcdef";
const std::string kReaderToken = "reader-token-0123456789abcdef";
const std::string kAnonymousToken = "anonymous-token-0123456789";
const std::string kBinaryToken = std::string("nul\0in\0the\0middle-0123456789", 28);

std::string hash(const std::string& token) {
  return auth_token::to_hex(auth_token::token_digest(token));
}

// A secrets file with three entries, and a chain over the plugin reading it.
struct TokenChain {
  explicit TokenChain(perms mode = perms::owner_read | perms::owner_write,
                      Options extra_options = {}) {
    write_file(secrets,
               "# KeepDB tokens\n\n" + hash(kAdminToken) + " read,write,admin alice\n" +
                   hash(kReaderToken) + " read bob\n" + hash(kAnonymousToken) + " write\n" +
                   hash(kBinaryToken) + "  read   binary  \n",
               mode);
    Options options{{"secrets_file", secrets.string()}};
    options.insert(options.end(), extra_options.begin(), extra_options.end());
    set = std::make_unique<PluginSet>(
        PluginSet::load(plugins({{"tokens", stage(fixture::kAuthToken, dir), options, ""}}), log));
    chain = std::make_unique<AuthChain>(set->authenticators(), AuthChainOptions{}, log);
  }

  TempDir dir;
  std::filesystem::path secrets = dir.path() / "tokens";
  RecordingLogSink log;
  std::unique_ptr<PluginSet> set;
  std::unique_ptr<AuthChain> chain;
};

}  // namespace

TEST_CASE("auth-token: a correct token is accepted with its line's roles and name", "[token]") {
  TokenChain t;
  const AuthOutcome admin = authenticate(*t.chain, "", kAdminToken);
  REQUIRE(admin.verdict == Verdict::kAccepted);
  CHECK(admin.principal.name == "alice");
  CHECK(admin.principal.roles == (KDB_ROLE_READ | KDB_ROLE_WRITE | KDB_ROLE_ADMIN));
  CHECK(admin.principal.authenticator == "tokens");

  const AuthOutcome reader = authenticate(*t.chain, "bob", kReaderToken);
  REQUIRE(reader.verdict == Verdict::kAccepted);
  CHECK(reader.principal.roles == KDB_ROLE_READ);
  CHECK_FALSE(t.log.contains(kAdminToken));
  CHECK_FALSE(t.log.contains(kReaderToken));
  CHECK_FALSE(t.log.contains(hash(kAdminToken)));
}

TEST_CASE("auth-token: a line without a name gets a name from its hash", "[token]") {
  TokenChain t;
  const AuthOutcome outcome = authenticate(*t.chain, "default", kAnonymousToken);
  REQUIRE(outcome.verdict == Verdict::kAccepted);
  CHECK(outcome.principal.name == "token:" + hash(kAnonymousToken).substr(0, 8));
}

TEST_CASE("auth-token: a wrong token is refused without naming the token", "[token]") {
  TokenChain t;
  const AuthOutcome outcome = authenticate(*t.chain, "", "wrong-token-0123456789abcdef");
  CHECK(outcome.verdict == Verdict::kRejected);
  CHECK(outcome.reason.find("no matching token") != std::string::npos);
  CHECK_FALSE(t.log.contains("wrong-token"));
}

TEST_CASE("auth-token: a known user with someone else's token is rejected", "[token]") {
  TokenChain t;
  CHECK(authenticate(*t.chain, "bob", kAdminToken).verdict == Verdict::kRejected);
  const AuthOutcome outcome = authenticate(*t.chain, "alice", "wrong-token-0123456789abcdef");
  CHECK(outcome.verdict == Verdict::kRejected);
  CHECK(outcome.reason.find("wrong token for a known user") != std::string::npos);
}

TEST_CASE("auth-token: tokens shorter than the minimum are refused", "[token]") {
  TokenChain t;
  CHECK(authenticate(*t.chain, "", "short").verdict == Verdict::kRejected);
  // The minimum can be raised: a 26-byte token is then too short.
  TokenChain strict(perms::owner_read | perms::owner_write, {{"min_token_length", "27"}});
  const AuthOutcome outcome = authenticate(*strict.chain, "", kAnonymousToken);
  CHECK(outcome.verdict == Verdict::kRejected);
  CHECK(outcome.reason.find("token shorter than min_token_length") != std::string::npos);
}

TEST_CASE("auth-token: min_token_length below 16 or not a number stops loading", "[token]") {
  CHECK_THROWS_WITH(TokenChain(perms::owner_read, {{"min_token_length", "8"}}),
                    "plugin 'tokens' (auth-token): create failed (KDB_E_INVALID): "
                    "min_token_length must be between 16 and 4096");
  CHECK_THROWS_WITH(TokenChain(perms::owner_read, {{"min_token_length", "16x"}}),
                    Catch::EndsWith("min_token_length must be an integer"));
}

TEST_CASE("auth-token: a 10,000-byte token is refused", "[token]") {
  TokenChain t;
  const AuthOutcome outcome = authenticate(*t.chain, "", std::string(10'000, 'x'));
  CHECK(outcome.verdict == Verdict::kRejected);
  CHECK(outcome.reason.find("token longer than 4096 bytes") != std::string::npos);
}

TEST_CASE("auth-token: tokens are bytes, NUL included", "[token]") {
  TokenChain t;
  const AuthOutcome whole = authenticate(*t.chain, "", kBinaryToken);
  REQUIRE(whole.verdict == Verdict::kAccepted);
  CHECK(whole.principal.name == "binary");
  // Cut at the first NUL it is another (too short) token.
  CHECK(authenticate(*t.chain, "", "nul").verdict == Verdict::kRejected);
  CHECK(authenticate(*t.chain, "", kBinaryToken.substr(0, 27)).verdict == Verdict::kRejected);
}

TEST_CASE("auth-token: a secrets file readable by group or others is refused", "[token]") {
  CHECK_THROWS_WITH(
      TokenChain(perms::owner_read | perms::owner_write | perms::group_read | perms::others_read),
      Catch::Contains("create failed (KDB_E_INVALID): secrets file ") &&
          Catch::Contains("must not be accessible by group or others (mode 0644)"));
}

TEST_CASE("auth-token: malformed lines are reported by line, never echoing the field", "[token]") {
  TempDir dir;
  RecordingLogSink log;
  const auto secrets = dir.path() / "tokens";
  const auto load = [&](const std::string& contents) {
    write_file(secrets, contents, perms::owner_read | perms::owner_write);
    PluginSet::load(plugins({{"tokens",
                              stage(fixture::kAuthToken, dir),
                              {{"secrets_file", secrets.string()}},
                              ""}}),
                    log);
  };
  CHECK_THROWS_WITH(
      load("# header\nmy-plain-text-token-pasted-by-mistake read\n"),
      Catch::Contains("line 2: first field must be a 64-character SHA-256 hex digest"));
  CHECK_THROWS_WITH(load(hash(kAdminToken) + " rwite\n"),
                    Catch::Contains("line 1: unknown role 'rwite'"));
  CHECK_THROWS_WITH(load(hash(kAdminToken) + " read\n" + hash(kAdminToken) + " write\n"),
                    Catch::Contains("line 2: the same hash appears twice"));
  CHECK_FALSE(log.contains("my-plain-text-token"));
}

}  // namespace keepdb::plugin_host::testing

namespace keepdb::plugin_host::testing {

TEST_CASE("auth-token: a relative secrets_file resolves against the config file's directory",
          "[token][paths]") {
  TempDir dir;
  const std::filesystem::path config_dir = dir.path() / "conf";
  std::filesystem::create_directory(config_dir);
  write_file(config_dir / "tokens", hash(kReaderToken) + " read bob\n",
             perms::owner_read | perms::owner_write);
  const std::filesystem::path library = stage(fixture::kAuthToken, dir);
  write_file(config_dir / "keepd.toml",
             "[storage]\ndata_dir = \"data\"\n"
             "[[plugin]]\nname = \"tokens\"\npath = \"" +
                 library.string() +
                 "\"\n"
                 "[plugin.options]\nsecrets_file = \"tokens\"\nmin_token_length = 20\n",
             perms::owner_read | perms::owner_write);
  // The working directory (the build tree) holds no "tokens" file: only resolution against
  // the config's directory can find it.
  REQUIRE_FALSE(std::filesystem::exists("tokens"));
  const config::Config config = config::load_file(config_dir / "keepd.toml");
  CHECK(config.plugins.config_dir == config_dir);

  RecordingLogSink log;
  const PluginSet set = PluginSet::load(config.plugins, log);
  AuthChain chain(set.authenticators(), AuthChainOptions{}, log);
  const AuthOutcome outcome = authenticate(chain, "bob", kReaderToken);
  REQUIRE(outcome.verdict == Verdict::kAccepted);
  CHECK(outcome.principal.name == "bob");
  // Only the path option is resolved; the number is passed as written.
  CHECK(log.contains("secrets_file=" + (config_dir / "tokens").string() + ", min_token_length=20"));
}

}  // namespace keepdb::plugin_host::testing
