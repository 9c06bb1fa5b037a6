// The posture check with real keepd processes and the real provider plugins (tls,
// auth-token, ratelimit, and audit with its file sink): a prod node with every control
// starts; without any one control it refuses, naming the control and its key; with that
// risk accepted it starts, logs a banner and writes an accepted_risk record to the audit
// log. In dev, a listener beyond loopback without TLS or authentication is refused unless
// accepted. `keepd config check --json` parses as JSON and its exit code says whether run
// would start.
#include <unistd.h>

#include <csignal>

#include <catch2/catch.hpp>
#include <functional>

#include "tests/integration/seams/seams_keepd.h"

#if !defined(KEEPDB_TLS_SO) || !defined(KEEPDB_AUTH_TOKEN_SO) || !defined(KEEPDB_RATELIMIT_SO) || \
    !defined(KEEPDB_AUDIT_SO)
#error "the plugin library paths are set by tests/integration/posture/CMakeLists.txt"
#endif

namespace keepdb::integration::seams {
namespace {

namespace fs = std::filesystem;

// A hash line for the tokens file: any 64 hex digits will do, no client authenticates here.
const std::string kTokensFile = std::string(64, 'a') + " read,write,admin ops\n";

// What the test environment itself fails (tests run as root in some CI containers).
std::vector<std::string> environment_risks() {
  if (::geteuid() == 0) return {"run-as-root"};
  return {};
}

// A prod node with every control: TLS on the client listener, tokens of at least 32 bytes,
// ratelimit, a fail_closed audit file, every plugin pinned.
SeamsSetup prod_setup() {
  SeamsSetup setup({PluginTable("tls", KEEPDB_TLS_SO,
                                {{"cert_file", "tls/node1.pem"}, {"key_file", "tls/node1.key"}}),
                    PluginTable("tokens", KEEPDB_AUTH_TOKEN_SO,
                                {{"secrets_file", "tokens"}, {"min_token_length", "32"}}),
                    PluginTable("limits", KEEPDB_RATELIMIT_SO, {{"connections_per_ip", "100"}}),
                    PluginTable("audit", KEEPDB_AUDIT_SO, {{"path", "audit.log"}}, true)});
  for (PluginTable& table : setup.plugins) table.pinned = true;
  setup.client_lines = "transport = \"tls\"\n";
  setup.security_level = "prod";
  setup.accept_risks = environment_risks();
  return setup;
}

void drop_plugin(SeamsSetup& setup, std::string_view name) {
  std::erase_if(setup.plugins, [&](const PluginTable& table) { return table.name == name; });
}

PluginTable& plugin(SeamsSetup& setup, std::string_view name) {
  for (PluginTable& table : setup.plugins) {
    if (table.name == name) return table;
  }
  throw std::logic_error("no plugin " + std::string(name));
}

// A keepd of `setup` with its certificates and tokens file written, not started.
std::unique_ptr<SeamsKeepd> prepared(SeamsSetup setup) {
  auto keepd = std::make_unique<SeamsKeepd>(std::move(setup));
  const ProgramResult certs =
      run_program({"/bin/bash", std::string(KEEPDB_SOURCE_DIR) + "/scripts/gen-certs.sh",
                   (keepd->dir() / "tls").string(), "1"});
  if (!certs.status.exited_normally(0)) throw std::runtime_error("gen-certs.sh: " + certs.err);
  write_file(keepd->dir() / "tokens", kTokensFile);
  fs::permissions(keepd->dir() / "tokens", fs::perms::owner_read | fs::perms::owner_write);
  return keepd;
}

ProgramResult config_check(const fs::path& config, bool json) {
  std::vector<std::string> argv = {keepd_binary().string(), "config", "check", config.string()};
  if (json) argv.emplace_back("--json");
  return run_program(argv);
}

// A python3 check of `json_text`: exits 0 when `assertion` holds for `d`, the parsed JSON.
bool python_json_holds(const std::string& json_text, const std::string& assertion) {
  const ProgramResult result = run_program(
      {"/usr/bin/python3", "-c", "import json, sys\nd = json.load(sys.stdin)\nassert " + assertion},
      json_text);
  INFO(result.err);
  return result.status.exited_normally(0);
}

struct Gap {
  std::string what;
  std::function<void(SeamsSetup&)> remove;
  std::vector<std::string> risks;  // the risk names the gap needs accepted
  std::string refusal;             // in keepd's log: the control, its state and its key
};

}  // namespace

TEST_CASE("posture: a prod node with every control starts and config check agrees", "[posture]") {
  auto keepd = prepared(prod_setup());
  keepd->start();
  CHECK(keepd->log().find("refused") == std::string::npos);
  CHECK(keepd->stop().exited_normally(0));
  const ProgramResult text = config_check(keepd->config_path(), false);
  INFO(text.out << text.err);
  CHECK(text.status.exited_normally(0));
  CHECK(text.out.find("security level prod") != std::string::npos);
  CHECK(text.out.find("no-client-tls") != std::string::npos);
  CHECK(text.out.find("client.transport: every client goes through 'tls'\n") != std::string::npos);
  const ProgramResult json = config_check(keepd->config_path(), true);
  CHECK(json.status.exited_normally(0));
  CHECK(python_json_holds(json.out,
                          "d['would_start'] and d['level'] == 'prod' and d['refusals'] == [] and "
                          "all(c['status'] == 'ok' or c['accepted'] for c in d['controls']) and "
                          "len(d['controls']) == 16"));
}

TEST_CASE("posture: prod refuses each missing control by name and starts with it accepted",
          "[posture]") {
  const std::vector<Gap> gaps = {
      {"no client TLS",
       [](SeamsSetup& s) {
         drop_plugin(s, "tls");
         s.client_lines.clear();
       },
       {"no-client-tls"},
       "refused: client TLS is missing (client.transport)"},
      {"no authenticator",
       [](SeamsSetup& s) { drop_plugin(s, "tokens"); },
       {"no-auth", "no-roles"},
       "refused: authentication is missing ([[plugin]] of kind authenticator)"},
      {"no admission",
       [](SeamsSetup& s) { drop_plugin(s, "limits"); },
       {"no-admission"},
       "refused: admission is missing ([[plugin]] of kind admission)"},
      {"audit not fail_closed",
       [](SeamsSetup& s) { plugin(s, "audit").fail_closed = false; },
       {"no-audit"},
       "refused: audit is weak ([[plugin]] of kind audit, fail_closed)"},
      {"an unpinned plugin",
       [](SeamsSetup& s) { plugin(s, "limits").pinned = false; },
       {"unpinned-plugins"},
       "refused: plugin pinning is missing ([[plugin]] sha256): no sha256 for 'limits'"},
      {"short tokens",
       [](SeamsSetup& s) { plugin(s, "tokens").options.pop_back(); },
       {"weak-tokens"},
       "refused: token strength is weak (auth-token options.min_token_length)"},
      {"idle clients never closed",
       [](SeamsSetup& s) {
         s.limits = {{"idle_timeout_ms", 0}};
       },
       {"unsafe-limits"},
       "refused: limits is weak ([limits]): idle_timeout_ms = 0"},
  };
  for (const Gap& gap : gaps) {
    INFO(gap.what);
    SeamsSetup refused = prod_setup();
    gap.remove(refused);
    auto keepd = prepared(refused);
    CHECK(keepd->start_expecting_exit().exited_normally(1));
    INFO(keepd->log());
    CHECK(keepd->log().find(gap.refusal) != std::string::npos);
    CHECK(keepd->log().find("unless [security] accept_risks names \"" + gap.risks.front() + "\"") !=
          std::string::npos);
    CHECK(config_check(keepd->config_path(), false).status.exited_normally(1));

    SeamsSetup accepted = prod_setup();
    gap.remove(accepted);
    accepted.accept_risks.insert(accepted.accept_risks.end(), gap.risks.begin(), gap.risks.end());
    auto started = prepared(accepted);
    started->start();
    for (const std::string& risk : gap.risks) {
      CHECK(started->log().find("*** accepted risk " + risk + ": ") != std::string::npos);
    }
    CHECK(started->stop().exited_normally(0));
    const std::string audit = read_file(started->dir() / "audit.log");
    INFO(audit);
    for (const std::string& risk : gap.risks) {
      CHECK(audit.find("\"kind\":\"accepted_risk\"") != std::string::npos);
      CHECK(audit.find("\"reason\":\"[security] accept_risks names " + risk + "\"") !=
            std::string::npos);
    }
    CHECK(config_check(started->config_path(), false).status.exited_normally(0));
  }
}

TEST_CASE("posture: prod without an audit plugin starts with no-audit accepted, with a banner",
          "[posture]") {
  SeamsSetup refused = prod_setup();
  drop_plugin(refused, "audit");
  auto keepd = prepared(refused);
  CHECK(keepd->start_expecting_exit().exited_normally(1));
  CHECK(keepd->log().find("refused: audit is missing ([[plugin]] of kind audit, fail_closed): no "
                          "audit plugin") != std::string::npos);

  SeamsSetup accepted = prod_setup();
  drop_plugin(accepted, "audit");
  accepted.accept_risks.emplace_back("no-audit");
  auto started = prepared(accepted);
  started->start();
  CHECK(started->log().find("*** accepted risk no-audit: audit is missing") != std::string::npos);
  CHECK(started->stop().exited_normally(0));
}

TEST_CASE("posture: prod refuses a tokens file others can read before any plugin runs",
          "[posture]") {
  auto keepd = prepared(prod_setup());
  fs::permissions(keepd->dir() / "tokens", fs::perms::group_read, fs::perm_options::add);
  CHECK(keepd->start_expecting_exit().exited_normally(1));
  CHECK(keepd->log().find("refused: file permissions is weak (storage.data_dir and secret files): "
                          "group or others may access plugin 'tokens' options.secrets_file") !=
        std::string::npos);
  const ProgramResult json = config_check(keepd->config_path(), true);
  // The plugin refuses the file itself in create(), before the posture is printed.
  CHECK(json.status.exited_normally(1));
}

TEST_CASE("posture: a reload that would weaken a prod node is refused and the running posture kept",
          "[posture][reload]") {
  auto keepd = prepared(prod_setup());
  keepd->start();
  // Dropping min_token_length lets the tokens plugin accept 16-byte tokens: weak-tokens.
  plugin(keepd->setup(), "tokens").options.pop_back();
  keepd->rewrite_config();
  keepd->send_signal(SIGHUP);
  CHECK(keepd->wait_for_log("failed, the running configuration is kept: posture check: "
                            "token strength is weak (auth-token options.min_token_length)"));
  CHECK(keepd->running());
  // The same change with its risk accepted needs a restart (accept_risks is read at start);
  // restoring the option reloads cleanly.
  plugin(keepd->setup(), "tokens").options.emplace_back("min_token_length", "32");
  keepd->rewrite_config();
  keepd->send_signal(SIGHUP);
  CHECK(keepd->wait_for_log("configuration reloaded (SIGHUP)"));
  CHECK(keepd->stop().exited_normally(0));
  const std::string audit = read_file(keepd->dir() / "audit.log");
  CHECK(audit.find("\"kind\":\"config_reload\"") != std::string::npos);
  CHECK(audit.find("posture check: token strength is weak") != std::string::npos);
}

TEST_CASE("posture: an unknown name in accept_risks is refused in every level", "[posture]") {
  SeamsSetup setup({});
  setup.accept_risks = {"no-client-tsl"};
  SeamsKeepd keepd(std::move(setup));
  CHECK(keepd.start_expecting_exit().exited_normally(1));
  CHECK(keepd.log().find("security.accept_risks: unknown risk 'no-client-tsl'") !=
        std::string::npos);
}

TEST_CASE("posture: dev refuses a listener beyond loopback without TLS or authentication",
          "[posture]") {
  TempDir dir("posture-exposed");
  write_file(dir / "secret", std::string(64, 'b') + "\n");
  fs::permissions(dir / "secret", fs::perms::owner_read | fs::perms::owner_write);
  struct Case {
    std::string what;
    std::string text;
    std::string refusal;  // empty: run may start
  };
  const std::string storage = "[storage]\ndata_dir = \"data\"\n";
  const std::vector<Case> cases = {
      {"client on all interfaces", storage + "[client]\nhost = \"0.0.0.0\"\n",
       "refused: client bind address is missing (client.host): listening on 0.0.0.0 without TLS "
       "and authentication; refused unless [security] accept_risks names "
       "\"exposed-client-listener\""},
      {"client exposure accepted",
       "[security]\naccept_risks = [\"exposed-client-listener\"]\n" + storage +
           "[client]\nhost = \"0.0.0.0\"\n",
       ""},
      {"peer on all interfaces",
       storage + "[cluster]\nsecret_file = \"secret\"\npeer_host = \"0.0.0.0\"\npeer_port = 1\n",
       "refused: peer bind address is missing (cluster.peer_host): listening on 0.0.0.0 without "
       "TLS"},
      {"operator listener on all interfaces", storage + "[operator]\nhost = \"0.0.0.0\"\nport = 1\n",
       "refused: operator bind address is missing (operator.host): /metrics and /health on "
       "0.0.0.0 in plain text without authentication; refused unless [security] accept_risks "
       "names \"exposed-operator-listener\""},
      {"loopback only", storage, ""},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const fs::path config = dir / "config.toml";
    write_file(config, c.text);
    const ProgramResult check = config_check(config, false);
    INFO(check.out << check.err);
    CHECK(check.status.exited_normally(c.refusal.empty() ? 0 : 1));
    const ProgramResult json = config_check(config, true);
    CHECK(json.status.exited_normally(c.refusal.empty() ? 0 : 1));
    CHECK(python_json_holds(json.out, std::string("d['would_start'] is ") +
                                          (c.refusal.empty() ? "True" : "False") +
                                          " and d['level'] == 'dev'"));
    if (c.refusal.empty()) continue;
    CHECK(check.err.find(c.refusal) != std::string::npos);
    const ProgramResult run = run_program(
        {keepd_binary().string(), "run", "--config", config.string()}, "", kStartTimeout);
    CHECK(run.status.exited_normally(1));
    CHECK(run.err.find(c.refusal) != std::string::npos);
    CHECK(run.err.find("ready") == std::string::npos);
  }
}

}  // namespace keepdb::integration::seams
