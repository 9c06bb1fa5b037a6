// The posture check (kernel/config/posture.h), data-driven: each file in
// tests/testdata/config/posture is a config whose `#!` comment lines give the facts (plugin
// kinds, file modes, root) and the expected table rows, reasons, refusals or start. Then
// profiles/prod.toml: with its placeholders filled it passes, and removing any one control
// makes it refuse, naming that control.
#include <algorithm>
#include <filesystem>
#include <sstream>

#include "kernel/config/posture.h"
#include "tests/support/files.h"
#include "tests/unit/config/config_test_support.h"

namespace keepdb::config {
namespace {

namespace fs = std::filesystem;
using testing::load;

const Control& row_of(const std::vector<Control>& table, std::string_view risk) {
  const auto row = std::find_if(table.begin(), table.end(),
                                [&](const Control& candidate) { return candidate.risk == risk; });
  REQUIRE(row != table.end());
  return *row;
}

std::string lines_of(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

bool has_refusal(const std::vector<std::string>& refusals, std::string_view risk,
                 std::string_view text) {
  const std::string quoted = "accept_risks names \"" + std::string(risk) + "\"";
  return std::any_of(refusals.begin(), refusals.end(), [&](const std::string& refusal) {
    return refusal.find(quoted) != std::string::npos && refusal.find(text) != std::string::npos;
  });
}

// One testdata file: its config, facts and expectations.
struct Case {
  Config config;
  PostureFacts facts;
  std::vector<std::pair<std::string, std::string>> expect;   // status, risk
  std::vector<std::pair<std::string, std::string>> reasons;  // risk, exact reason
  std::vector<std::pair<std::string, std::string>> refuse;   // risk, text in its refusal
  std::string expect_all;                                    // status of every row, or ""
  bool start = false;
};

Case read_case(const fs::path& file) {
  const std::string text = test::read_file(file);
  Case c{load(text), {}, {}, {}, {}, {}, false};
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("#! ", 0) != 0) continue;
    std::istringstream words(line.substr(3));
    std::string verb;
    words >> verb;
    std::string rest;
    const auto tail = [&] {
      std::string word;
      words >> word;
      std::getline(words, rest);
      if (!rest.empty()) rest.erase(0, 1);
      return word;
    };
    if (verb == "plugin") {
      std::string name;
      PluginFacts plugin;
      words >> name >> plugin.provider;
      for (std::string kind; words >> kind;) {
        plugin.authenticator |= kind == "authenticator";
        plugin.transport |= kind == "transport";
        plugin.admission |= kind == "admission";
        plugin.audit |= kind == "audit";
      }
      c.facts.plugins.emplace(name, plugin);
    } else if (verb == "file") {
      std::string path;
      std::string mode;
      FileFacts facts{true, 0, 0};
      words >> path >> mode >> facts.size;
      facts.mode = static_cast<std::uint32_t>(std::stoul(mode, nullptr, 8));
      c.facts.files.emplace(path, facts);
    } else if (verb == "root") {
      c.facts.running_as_root = true;
    } else if (verb == "config_dir") {
      std::string dir;
      words >> dir;
      c.config.plugins.config_dir = dir;
    } else if (verb == "expect") {
      const std::string status = tail();
      c.expect.emplace_back(status, rest);
    } else if (verb == "expect-all") {
      words >> c.expect_all;
    } else if (verb == "reason") {
      const std::string risk = tail();
      c.reasons.emplace_back(risk, rest);
    } else if (verb == "refuse") {
      const std::string risk = tail();
      c.refuse.emplace_back(risk, rest);
    } else if (verb == "start") {
      c.start = true;
    } else {
      FAIL("unknown directive: " << line);
    }
  }
  return c;
}

TEST_CASE("posture: every testdata case gives its table and decision", "[config][posture]") {
  const fs::path dir = testing::testdata("posture");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 10);
  for (const fs::path& file : files) {
    INFO(file.filename().string());
    const Case c = read_case(file);
    const std::vector<Control> table = evaluate_posture(c.config, c.facts);
    REQUIRE(table.size() == risk_names().size());
    for (std::size_t i = 0; i < table.size(); ++i) CHECK(table[i].risk == risk_names()[i]);
    for (const Control& row : table) {
      INFO(row.risk << ": " << row.reason);
      CHECK_FALSE(row.name.empty());
      CHECK_FALSE(row.key.empty());
      CHECK_FALSE(row.reason.empty());
      if (!c.expect_all.empty()) CHECK(control_status_name(row.status) == c.expect_all);
    }
    for (const auto& [status, risk] : c.expect) {
      INFO(risk);
      CHECK(control_status_name(row_of(table, risk).status) == status);
    }
    for (const auto& [risk, reason] : c.reasons) CHECK(row_of(table, risk).reason == reason);
    const std::vector<std::string> refusals = posture_refusals(c.config, table);
    INFO("refusals:\n" << lines_of(refusals));
    for (const auto& [risk, text] : c.refuse) {
      INFO(risk << " / " << text);
      CHECK(has_refusal(refusals, risk, text));
      // The refusal names the control by its table name too.
      CHECK(has_refusal(refusals, risk, row_of(table, risk).name + " is "));
    }
    CHECK(refusals.empty() == c.start);
  }
}

TEST_CASE("posture: [security] level and accept_risks are checked when the file loads",
          "[config][posture]") {
  CHECK(load(testing::with_storage("")).security.level == SecurityLevel::kDev);
  CHECK(load(testing::with_storage("[security]\nlevel = \"prod\"")).security.level ==
        SecurityLevel::kProd);
  CHECK(testing::error_of(testing::with_storage("[security]\nlevel = \"production\"")) ==
        "test.toml:2: security.level: must be \"dev\" or \"prod\", not 'production'");
  CHECK(testing::error_of(testing::with_storage("[security]\nlevel = 1")) ==
        "test.toml:2: security.level: wrong type: expected string, got integer");
  // A typo would accept nothing while the operator believes it accepts a risk.
  const std::string typo =
      testing::error_of(testing::with_storage("[security]\naccept_risks = [\"no-client-tsl\"]"));
  CHECK_THAT(typo, Catch::StartsWith("test.toml:2: security.accept_risks: unknown risk "
                                     "'no-client-tsl' (known: no-client-tls, no-peer-secret,"));
  for (const std::string_view risk : risk_names()) {
    INFO(risk);
    const std::string text =
        "[security]\naccept_risks = [\"" + std::string(risk) + "\"]\n[storage]\ndata_dir = \"d\"\n";
    if (risk == kNoPeerSecretRisk) continue;  // only with a loopback peer listener, below
    CHECK(load(text).security.accept_risks == std::vector<std::string>{std::string(risk)});
  }
}

TEST_CASE("posture: the banner of an accepted risk names the control and its state",
          "[config][posture]") {
  const Config config =
      load(testing::with_storage("[security]\naccept_risks = [\"no-audit\", \"run-as-root\"]"));
  const std::vector<Control> table = evaluate_posture(config, {});
  CHECK(accepted_risk_banner("no-audit", table) ==
        "accepted risk no-audit: audit is missing ([[plugin]] of kind audit, fail_closed): no "
        "audit plugin");
  CHECK(accepted_risk_banner("run-as-root", table) ==
        "accepted risk run-as-root: running as root is ok ((the user keepd runs as)): keepd runs "
        "as an unprivileged user");
}

// profiles/prod.toml with its "FILL: ..." sha256 placeholders replaced by digests.
std::string filled_prod_profile() {
  std::string text = test::read_file(fs::path(KEEPDB_SOURCE_DIR) / "profiles/prod.toml");
  const std::string placeholder = "\"FILL: ";
  for (std::size_t at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at)) {
    const std::size_t end = text.find('"', at + 1);
    text.replace(at, end + 1 - at, "\"" + std::string(64, 'a') + "\"");
  }
  return text;
}

// The facts of a prod node set up as the profile's comments say.
PostureFacts prod_facts() {
  PostureFacts facts;
  facts.plugins = {{"client-tls", {"tls", false, true, false, false}},
                   {"peer-tls", {"tls", false, true, false, false}},
                   {"tokens", {"auth-token", true, false, false, false}},
                   {"limits", {"ratelimit", false, false, true, false}},
                   {"audit", {"audit", false, false, false, true}}};
  for (const char* path : {"/var/lib/keepdb", "/etc/keepdb/cluster-secret", "/etc/keepdb/tokens",
                           "/etc/keepdb/tls/node.key"}) {
    facts.files[path] = {true, 0600, 64};
  }
  return facts;
}

std::string without(std::string text, std::string_view cut) {
  const std::size_t at = text.find(cut);
  REQUIRE(at != std::string::npos);
  return text.erase(at, cut.size());
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// The text without the [[plugin]] table named `name` (up to the blank line after it).
std::string without_plugin(const std::string& text, std::string_view name) {
  const std::size_t at = text.find("[[plugin]]\nname = \"" + std::string(name) + "\"");
  REQUIRE(at != std::string::npos);
  return without(text, text.substr(at, text.find("\n\n", at) + 2 - at));
}

TEST_CASE("posture: profiles/prod.toml filled in starts; without any one control it refuses",
          "[config][posture][profiles]") {
  const std::string prod = filled_prod_profile();
  const Config config = load(prod);
  CHECK(config.security.level == SecurityLevel::kProd);
  CHECK(config.cluster.members.size() == 3);
  const std::vector<Control> table = evaluate_posture(config, prod_facts());
  CHECK(config.security.accept_risks.empty());
  for (const Control& row : table) {
    INFO(row.risk << ": " << row.reason);
    CHECK(row.status == ControlStatus::kOk);
  }
  CHECK(posture_refusals(config, table).empty());

  struct Mutation {
    std::string what;
    std::string text;
    std::string risk;
    std::string key;
  };
  const std::vector<Mutation> mutations = {
      {"no client TLS", without(prod, "transport = \"client-tls\"\n"), "no-client-tls",
       "client.transport"},
      {"no authenticator", without_plugin(prod, "tokens"), "no-auth", "of kind authenticator"},
      {"no authenticator: no roles", without_plugin(prod, "tokens"), "no-roles",
       "of kind authenticator"},
      {"no authenticator: exposed", without_plugin(prod, "tokens"), "exposed-client-listener",
       "client.host"},
      {"no admission", without_plugin(prod, "limits"), "no-admission", "of kind admission"},
      {"no audit", without_plugin(prod, "audit"), "no-audit", "of kind audit"},
      {"audit not fail_closed", without(prod, "fail_closed = true\n"), "no-audit", "fail_closed"},
      {"short tokens", replaced(prod, "min_token_length = 32", "min_token_length = 16"),
       "weak-tokens", "min_token_length"},
      {"an unpinned plugin",
       replaced(prod, "sha256 = \"" + std::string(64, 'a') + "\"\n[plugin.options]\nsecrets_file",
                "[plugin.options]\nsecrets_file"),
       "unpinned-plugins", "[[plugin]] sha256"},
      {"idle connections kept", replaced(prod, "idle_timeout_ms = 300000", "idle_timeout_ms = 0"),
       "unsafe-limits", "[limits]"},
      {"no client memory budget",
       replaced(prod, "max_client_memory_bytes = 1073741824", "max_client_memory_bytes = 0"),
       "unsafe-limits", "[limits]"},
      {"no peer mutual TLS", without(prod, "transport = \"peer-tls\"\n"), "no-peer-mtls",
       "cluster.transport"},
      {"no peer mutual TLS: exposed", without(prod, "transport = \"peer-tls\"\n"),
       "exposed-peer-listener", "cluster.peer_host"},
      {"operator listener beyond loopback",
       replaced(prod, "[operator]\nhost = \"127.0.0.1\"", "[operator]\nhost = \"0.0.0.0\""),
       "exposed-operator-listener", "operator.host"},
  };
  for (const Mutation& m : mutations) {
    INFO(m.what);
    const Config changed = load(m.text);
    const auto refusals = posture_refusals(changed, evaluate_posture(changed, prod_facts()));
    INFO("refusals:\n" << lines_of(refusals));
    CHECK(has_refusal(refusals, m.risk, m.key));
  }

  // Facts, not text: root, and a secret file others may read.
  PostureFacts root = prod_facts();
  root.running_as_root = true;
  CHECK(has_refusal(posture_refusals(config, evaluate_posture(config, root)), "run-as-root",
                    "running as root is missing"));
  PostureFacts loose = prod_facts();
  loose.files["/etc/keepdb/tokens"].mode = 0644;
  CHECK(has_refusal(posture_refusals(config, evaluate_posture(config, loose)), "loose-permissions",
                    "/etc/keepdb/tokens, mode 0644"));
  // A raft log on a disk of its own is checked like the data dir.
  const Config with_log_dir = load(replaced(prod, "data_dir = \"/var/lib/keepdb\"\n",
                                            "data_dir = \"/var/lib/keepdb\"\n"
                                            "log_dir = \"/wal/keepdb\"\n"));
  PostureFacts log_facts = prod_facts();
  log_facts.files["/wal/keepdb"] = {true, 0755, 64};
  CHECK(has_refusal(posture_refusals(with_log_dir, evaluate_posture(with_log_dir, log_facts)),
                    "loose-permissions", "storage.log_dir (/wal/keepdb, mode 0755)"));
  log_facts.files["/wal/keepdb"].mode = 0700;
  CHECK(posture_refusals(with_log_dir, evaluate_posture(with_log_dir, log_facts)).empty());
  // Without the cluster secret the file does not even load: the peer listener is not on
  // loopback.
  CHECK_THAT(testing::error_of(without(prod, "secret_file = \"/etc/keepdb/cluster-secret\"\n")),
             Catch::Contains("cluster.secret_file: required with a peer listener"));
}

}  // namespace
}  // namespace keepdb::config
