// The keepd command line: --version, --help, unknown options and commands (exit 2),
// `config check` on valid and invalid files (errors name file:line and key; the invalid
// files are in tests/testdata/integration/bad_configs), both refusing a cluster secret file
// that others can read or a listener transport that is missing or unused, `run` refusing a
// missing or invalid config or a port in use, and its log level from --log-level or
// KEEPDB_LOG_LEVEL.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/keepd_process.h"

using namespace keepdb::integration;

namespace {

ProgramResult keepd(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {keepd_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, "", kStartTimeout);
}

std::vector<std::filesystem::path> bad_configs() {
  const auto dir =
      std::filesystem::path(KEEPDB_SOURCE_DIR) / "tests/testdata/integration/bad_configs";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The "# expect: ..." lines of a bad config: substrings its error must contain.
std::vector<std::string> expectations(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> expected;
  const std::string marker = "# expect: ";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(marker, 0) == 0) expected.push_back(line.substr(marker.size()));
  }
  return expected;
}

}  // namespace

TEST_CASE("keepd --version and -V print the version", "[cli]") {
  for (const std::string flag : {"--version", "-V"}) {
    const ProgramResult result = keepd({flag});
    CHECK(result.status.exited_normally(0));
    CHECK(result.out.rfind("keepd 0.", 0) == 0);
    CHECK(result.out.find("Redis 7.") != std::string::npos);
    CHECK(result.err.empty());
  }
}

TEST_CASE("keepd --help and -h list the commands", "[cli]") {
  for (const std::string flag : {"--help", "-h"}) {
    const ProgramResult result = keepd({flag});
    CHECK(result.status.exited_normally(0));
    CHECK(result.out.rfind("usage: keepd", 0) == 0);
    CHECK(result.out.find("run --config FILE") != std::string::npos);
    CHECK(result.out.find("config check FILE") != std::string::npos);
  }
  const ProgramResult run_help = keepd({"run", "--help"});
  CHECK(run_help.status.exited_normally(0));
  CHECK(run_help.out.find("--config") != std::string::npos);
}

TEST_CASE("unknown options and commands exit 2 with a clear error", "[cli]") {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"--frobnicate"}, "keepd: unknown option '--frobnicate'"},
      {{}, "keepd: missing command"},
      {{"frobnicate"}, "keepd: unknown command 'frobnicate'"},
      {{"config"}, "keepd: 'config' needs a subcommand"},
      {{"config", "lint", "x.toml"}, "keepd: unknown command 'config lint'"},
      {{"run", "--frobnicate"}, "keepd run: unrecognised option '--frobnicate'"},
      {{"run"}, "keepd run: the option '--config' is required but missing"},
      {{"config", "check"}, "keepd config check: the option '--file' is required but missing"},
  };
  for (const Case& c : cases) {
    INFO("keepd " << (c.args.empty() ? "" : c.args[0]) << " ...: " << c.error);
    const ProgramResult result = keepd(c.args);
    CHECK(result.status.exited_normally(2));
    CHECK(result.err.rfind(c.error, 0) == 0);
    CHECK(result.out.empty());
  }
}

TEST_CASE("config check accepts a valid file and summarises it", "[cli][config]") {
  TempDir dir("cli-valid");
  const auto config = dir / "config.toml";
  write_file(config, render_config(KeepdSettings().limit("max_bulk_bytes", 1024), 7777));
  const ProgramResult result = keepd({"config", "check", config.string()});
  CHECK(result.status.exited_normally(0));
  // The summary, then the posture table (tests/integration/posture).
  CHECK(result.out.rfind(config.string() + ": ok (node 1, clients on 127.0.0.1:7777, data in " +
                             (dir / "data").string() + ")\nsecurity level dev\n",
                         0) == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "data"));  // checking creates nothing
}

TEST_CASE("config check and run refuse each bad config naming file, line and key",
          "[cli][config]") {
  const auto files = bad_configs();
  REQUIRE(files.size() >= 5);
  for (const auto& file : files) {
    INFO(file.filename().string());
    const auto expected = expectations(file);
    REQUIRE_FALSE(expected.empty());
    const ProgramResult check = keepd({"config", "check", file.string()});
    CHECK(check.status.exited_normally(1));
    const ProgramResult run = keepd({"run", "--config", file.string()});
    CHECK(run.status.exited_normally(1));
    for (const std::string& text : expected) {
      CHECK(check.err.find(text) != std::string::npos);
      CHECK(run.err.find(text) != std::string::npos);
    }
    CHECK(check.err.rfind(file.string() + ":", 0) == 0);  // the message starts with the file
    CHECK(run.err.find("ready") == std::string::npos);
  }
}

TEST_CASE("config check and run refuse a cluster secret file others can read",
          "[cli][config]") {
  TempDir dir("cli-secret");
  const auto secret = dir / "cluster-secret";
  write_file(secret, std::string(64, 'f') + "\n");
  std::filesystem::permissions(secret, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write |
                                           std::filesystem::perms::others_read);
  const auto config = dir / "config.toml";
  write_file(config, render_config(KeepdSettings(), free_port()) +
                         "[cluster]\npeer_port = " + std::to_string(free_port()) +
                         "\nsecret_file = \"cluster-secret\"\n");
  const std::string expected = "cluster.secret_file " + secret.string() +
                               ": has mode 0604; it must be readable by its owner only (chmod 600)";
  const ProgramResult check = keepd({"config", "check", config.string()});
  CHECK(check.status.exited_normally(1));
  CHECK(check.err == expected + "\n");
  const ProgramResult run = keepd({"run", "--config", config.string()});
  CHECK(run.status.exited_normally(1));
  CHECK(run.err.find(expected) != std::string::npos);
  CHECK(run.err.find(std::string(64, 'f')) == std::string::npos);  // never the secret

  std::filesystem::permissions(secret, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::remove);
  CHECK(keepd({"config", "check", config.string()}).status.exited_normally(0));
}

TEST_CASE("a missing config file is a clear error", "[cli][config]") {
  TempDir dir("cli-missing");
  const std::string missing = (dir / "nope.toml").string();
  const ProgramResult check = keepd({"config", "check", missing});
  CHECK(check.status.exited_normally(1));
  CHECK(check.err == missing + ": cannot open: No such file or directory\n");
  const ProgramResult run = keepd({"run", "--config", missing});
  CHECK(run.status.exited_normally(1));
  CHECK(run.err.find("configuration error: " + missing + ": cannot open") != std::string::npos);
}

TEST_CASE("run exits 1 when its port is already in use", "[cli]") {
  KeepdProcess first(KeepdSettings("cli-port-owner"));
  TempDir dir("cli-port-taken");
  write_file(dir / "config.toml", render_config(KeepdSettings(), first.port()));
  const ProgramResult second = keepd({"run", "--config", (dir / "config.toml").string()});
  INFO(second.err);
  CHECK(second.status.exited_normally(1));
  CHECK(second.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())) !=
        std::string::npos);
  CHECK(second.err.find("Address already in use") != std::string::npos);
  CHECK(first.running());
}

TEST_CASE("every command group and subcommand answers --help and -h", "[cli]") {
  const std::vector<std::vector<std::string>> commands = {
      {"run"},     {"config"},          {"config", "check"},
      {"plugins"}, {"plugins", "list"}, {"plugins", "test"},
      {"token"},   {"token", "hash"},   {"token", "new"},
  };
  for (const auto& command : commands) {
    for (const std::string flag : {"--help", "-h"}) {
      std::vector<std::string> args = command;
      args.push_back(flag);
      INFO("keepd " << command.front() << (command.size() > 1 ? " " + command[1] : "") << " "
                    << flag);
      const ProgramResult result = keepd(args);
      CHECK(result.status.exited_normally(0));
      CHECK(result.out.rfind("usage: keepd", 0) == 0);
      CHECK(result.err.empty());
    }
  }
}

namespace {

// A config directory with the auth-token plugin (and the transport_kind fixture, as
// libtransport_kind.so) staged in its own plugins dir, its secrets file beside the config
// (named relatively, as docs/configuration.md does), the tokens plugin's [plugin.options]
// table given, then `more_tables` and [client] `client_lines`.
struct TokenPluginConfig {
  explicit TokenPluginConfig(const std::string& options, const std::string& secrets_text,
                             const std::string& more_tables = "",
                             const std::string& client_lines = "")
      : dir("cli-plugin") {
    const std::filesystem::path plugins = dir / "plugins";
    std::filesystem::create_directory(plugins);
    std::filesystem::copy_file(KEEPDB_AUTH_TOKEN_SO, plugins / "libauth_token.so");
    std::filesystem::copy_file(KEEPDB_TRANSPORT_KIND_SO, plugins / "libtransport_kind.so");
    write_file(dir / "tokens", secrets_text);
    std::filesystem::permissions(
        dir / "tokens", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    KeepdSettings settings;
    settings.client_lines = client_lines;
    write_file(config, render_config(settings, free_port()) +
                           "\n[plugins]\ndir = \"plugins\"\n\n[[plugin]]\nname = \"tokens\"\n"
                           "path = \"libauth_token.so\"\n\n[plugin.options]\n" +
                           options + more_tables);
  }

  TempDir dir;
  std::filesystem::path config = dir / "config.toml";
};

const std::string kGoodSecrets = std::string(64, 'a') + " read bob\n";

// Both `config check` and `run` exit 1 on `config`, with `error` on stderr.
void check_and_run_refuse(const std::filesystem::path& config, const std::string& error) {
  const ProgramResult check = keepd({"config", "check", config.string()});
  CHECK(check.status.exited_normally(1));
  CHECK(check.err.find(error) != std::string::npos);
  CHECK(check.out.empty());
  const ProgramResult run = keepd({"run", "--config", config.string()});
  CHECK(run.status.exited_normally(1));
  CHECK(run.err.find(error) != std::string::npos);
}

}  // namespace

TEST_CASE("config check creates each plugin and refuses what run refuses", "[cli][config]") {
  struct Case {
    std::string name;
    std::string options;
    std::string secrets;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"unknown option", "secrets_file = \"tokens\"\nsecret_fil = \"x\"\n", kGoodSecrets,
       "plugin 'tokens' (auth-token): unknown option 'secret_fil'"},
      {"missing required option", "min_token_length = 20\n", kGoodSecrets,
       "plugin 'tokens' (auth-token): missing required option 'secrets_file'"},
      {"malformed secrets file", "secrets_file = \"tokens\"\n", "not-a-hash read bob\n",
       "plugin 'tokens' (auth-token): create failed (KDB_E_INVALID): secrets file "},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const TokenPluginConfig setup(c.options, c.secrets);
    check_and_run_refuse(setup.config, c.error);
  }

  // The relative secrets_file is found beside the config, whatever keepd's working directory.
  const TokenPluginConfig good("secrets_file = \"tokens\"\n", kGoodSecrets);
  const ProgramResult check = keepd({"config", "check", good.config.string()});
  CHECK(check.status.exited_normally(0));
  CHECK(check.out.find(": ok (node 1, ") != std::string::npos);
  CHECK(check.out.find(", plugin tokens created and destroyed)\n") != std::string::npos);
  CHECK(check.err.empty());
}

TEST_CASE("config check refuses the listener transports run refuses", "[cli][config]") {
  const std::string wire_table = "\n[[plugin]]\nname = \"wire\"\npath = \"libtransport_kind.so\"\n";
  const std::string tokens = "secrets_file = \"tokens\"\n";
  struct Case {
    std::string name;
    std::string more_tables;
    std::string client_lines;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"a transport no listener names", wire_table, "",
       "plugin 'wire' (transport-kind) is of kind transport, but no listener names it"},
      {"a listener naming no plugin", "", "transport = \"nope\"\n",
       "client.transport = \"nope\": no [[plugin]] table has that name"},
      {"a listener naming a plugin of another kind", "", "transport = \"tokens\"\n",
       "client.transport = \"tokens\": that [[plugin]] is not of kind transport"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const TokenPluginConfig setup(tokens, kGoodSecrets, c.more_tables, c.client_lines);
    check_and_run_refuse(setup.config, c.error);
  }

  const TokenPluginConfig named(tokens, kGoodSecrets, wire_table, "transport = \"wire\"\n");
  const ProgramResult check = keepd({"config", "check", named.config.string()});
  CHECK(check.status.exited_normally(0));
  CHECK(check.out.find(", plugins tokens and wire created and destroyed)\n") != std::string::npos);
}

TEST_CASE("run takes its log level from --log-level or else KEEPDB_LOG_LEVEL", "[cli]") {
  const std::string missing_config = "/nonexistent/keepdb-test.toml";
  // The level is checked before the config is read: a bad one exits 2 and names its source.
  const auto run_with_env = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {"/usr/bin/env", "KEEPDB_LOG_LEVEL=loud",
                                     keepd_binary().string(), "run", "--config", missing_config};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_program(argv, "", kStartTimeout);
  };
  const ProgramResult from_env = run_with_env({});
  CHECK(from_env.status.exited_normally(2));
  CHECK(from_env.err.find("KEEPDB_LOG_LEVEL") != std::string::npos);
  const ProgramResult from_flag = keepd({"run", "--config", missing_config, "--log-level", "loud"});
  CHECK(from_flag.status.exited_normally(2));
  // The flag wins: with a valid one, keepd gets past the level to the missing config.
  const ProgramResult flag_wins = run_with_env({"--log-level", "warn"});
  CHECK_FALSE(flag_wins.status.exited_normally(2));
  CHECK(flag_wins.err.find("KEEPDB_LOG_LEVEL") == std::string::npos);
}
