// The posture table's rules, control by control, and the start-up decision over it.
#include "kernel/config/posture.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>

#include "kernel/config/address.h"

namespace keepdb::config {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kClientTls = "no-client-tls";
constexpr std::string_view kPeerMtls = "no-peer-mtls";
constexpr std::string_view kAuth = "no-auth";
constexpr std::string_view kRoles = "no-roles";
constexpr std::string_view kAdmission = "no-admission";
constexpr std::string_view kAudit = "no-audit";
constexpr std::string_view kExposedClient = "exposed-client-listener";
constexpr std::string_view kExposedPeer = "exposed-peer-listener";
constexpr std::string_view kExposedOperator = "exposed-operator-listener";
constexpr std::string_view kPermissions = "loose-permissions";
constexpr std::string_view kUnpinned = "unpinned-plugins";
constexpr std::string_view kJwtKey = "weak-jwt-key";
constexpr std::string_view kTokens = "weak-tokens";
constexpr std::string_view kLimits = "unsafe-limits";
constexpr std::string_view kRoot = "run-as-root";

constexpr std::array<std::string_view, 16> kRisks = {
    kClientTls,   kNoPeerSecretRisk, kPeerMtls,        kAuth,        kRoles,
    kAdmission,   kAudit,            kExposedClient,   kExposedPeer, kExposedOperator,
    kPermissions, kUnpinned,         kJwtKey,          kTokens,      kLimits,
    kRoot};

// The risks refused at every level, not only in prod: listeners reachable beyond loopback.
constexpr std::array<std::string_view, 3> kExposedRisks = {kExposedClient, kExposedPeer,
                                                           kExposedOperator};

// A token shorter than this many bytes is weak (`keepd token new` makes 64 hex digits); an
// HMAC key for JWTs shorter than this many bytes is weak (the longest HS512 digest).
constexpr std::uint64_t kStrongTokenLength = 32;
constexpr std::uint64_t kStrongHmacKeyBytes = 64;
// Timeouts above this are not a slowloris or unauthenticated-client guard any more.
constexpr std::chrono::milliseconds kMaxSafeTimeout{60'000};

// The plugin options naming files that hold secrets (auth-token's secrets_file, auth-jwt's
// hmac_secret_file, tls's key_file, audit's key files): group and others must not read them.
// (auth-jwt's jwks_file may hold public keys only; the plugin itself refuses one with HMAC
// keys that others can read.)
constexpr std::array<std::string_view, 5> kSecretOptions = {
    "secrets_file", "hmac_secret_file", "key_file", "chain_key_file", "key_hash_key_file"};

const PluginFacts kUnknownPlugin{};

const PluginFacts& facts_of(const PostureFacts& facts, const PluginSpec& spec) {
  const auto found = facts.plugins.find(spec.name);
  return found == facts.plugins.end() ? kUnknownPlugin : found->second;
}

std::optional<std::string> option(const PluginSpec& spec, std::string_view key) {
  for (const auto& [name, value] : spec.options) {
    if (name == key) return value;
  }
  return std::nullopt;
}

// A path option as the plugin host resolves it: relative to the config file's directory.
fs::path option_path(const Config& config, const std::string& value) {
  const fs::path path(value);
  if (path.is_absolute() || config.plugins.config_dir.empty()) return path.lexically_normal();
  return (config.plugins.config_dir / path).lexically_normal();
}

std::string option_key(const PluginSpec& spec, std::string_view option_name) {
  return "plugin '" + spec.name + "' options." + std::string(option_name);
}

// "a, b and c"; "" for none.
std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) text += i + 1 == parts.size() ? " and " : ", ";
    text += parts[i];
  }
  return text;
}

// The [[plugin]] names whose facts pass `has`, quoted.
std::vector<std::string> plugins_where(const Config& config, const PostureFacts& facts,
                                       const std::function<bool(const PluginFacts&)>& has) {
  std::vector<std::string> names;
  for (const PluginSpec& spec : config.plugins.load) {
    if (has(facts_of(facts, spec))) names.push_back("'" + spec.name + "'");
  }
  return names;
}

Control control(std::string name, std::string_view risk, std::string key, ControlStatus status,
                std::string reason) {
  return {std::move(name), std::string(risk), std::move(key), status, std::move(reason)};
}

Control ok_or_missing(std::string name, std::string_view risk, std::string key,
                      const std::vector<std::string>& providers, std::string_view what,
                      std::string missing_reason) {
  if (providers.empty()) {
    return control(std::move(name), risk, std::move(key), ControlStatus::kMissing,
                   std::move(missing_reason));
  }
  return control(std::move(name), risk, std::move(key), ControlStatus::kOk,
                 std::string(what) + " " + joined(providers));
}

Control client_tls(const Config& config) {
  if (config.client.transport.empty()) {
    return control("client TLS", kClientTls, "client.transport", ControlStatus::kMissing,
                   "clients connect in plain text");
  }
  return control("client TLS", kClientTls, "client.transport", ControlStatus::kOk,
                 "every client goes through '" + config.client.transport + "'");
}

Control peer_secret(const Config& config) {
  const std::string key = "cluster.secret_file";
  if (config.cluster.peer_port == 0) {
    return control("peer authentication", kNoPeerSecretRisk, key, ControlStatus::kOk,
                   "no peer listener (single node)");
  }
  if (config.cluster.secret_file.empty()) {
    return control("peer authentication", kNoPeerSecretRisk, key, ControlStatus::kMissing,
                   "peers prove no cluster secret");
  }
  return control("peer authentication", kNoPeerSecretRisk, key, ControlStatus::kOk,
                 "peers prove the cluster secret");
}

Control peer_mtls(const Config& config) {
  const std::string name = "peer mutual TLS";
  const std::string key = "cluster.transport";
  if (config.cluster.peer_port == 0) {
    return control(name, kPeerMtls, key, ControlStatus::kOk, "no peer listener (single node)");
  }
  if (config.cluster.transport.empty()) {
    return control(name, kPeerMtls, key, ControlStatus::kMissing,
                   "peer traffic is plain text and members are known by the cluster secret only");
  }
  return control(name, kPeerMtls, key, ControlStatus::kOk,
                 "every peer link goes through '" + config.cluster.transport +
                     "', each member proving its [[cluster.member]] identity");
}

Control audit(const Config& config, const PostureFacts& facts) {
  const std::string name = "audit";
  const std::string key = "[[plugin]] of kind audit, fail_closed";
  const auto sinks = plugins_where(config, facts, [](const PluginFacts& p) { return p.audit; });
  if (sinks.empty()) {
    return control(name, kAudit, key, ControlStatus::kMissing, "no audit plugin");
  }
  const bool closed = std::any_of(
      config.plugins.load.begin(), config.plugins.load.end(),
      [&](const PluginSpec& spec) { return spec.fail_closed && facts_of(facts, spec).audit; });
  if (!closed) {
    return control(name, kAudit, key, ControlStatus::kWeak,
                   "no audit sink has fail_closed: records are dropped when it cannot keep up");
  }
  return control(name, kAudit, key, ControlStatus::kOk, "recorded by " + joined(sinks));
}

// The client listener bound beyond loopback without TLS or without authentication.
Control client_bind(const Config& config, bool authenticated) {
  std::vector<std::string> lacking;
  if (config.client.transport.empty()) lacking.push_back("TLS");
  if (!authenticated) lacking.push_back("authentication");
  if (!is_loopback_ip(config.client.host) && !lacking.empty()) {
    return control("client bind address", kExposedClient, "client.host", ControlStatus::kMissing,
                   "listening on " + config.client.host + " without " + joined(lacking));
  }
  return control("client bind address", kExposedClient, "client.host", ControlStatus::kOk,
                 lacking.empty() ? "TLS and authentication on " + config.client.host
                                 : "loopback only (" + config.client.host + ")");
}

// The peer listener bound beyond loopback without TLS (its authentication, the cluster
// secret, is required there by the loader).
Control peer_bind(const Config& config) {
  const std::string name = "peer bind address";
  const std::string key = "cluster.peer_host";
  if (config.cluster.peer_port == 0) {
    return control(name, kExposedPeer, key, ControlStatus::kOk, "no peer listener (single node)");
  }
  if (is_loopback_ip(config.cluster.peer_host)) {
    return control(name, kExposedPeer, key, ControlStatus::kOk,
                   "loopback only (" + config.cluster.peer_host + ")");
  }
  if (config.cluster.transport.empty()) {
    return control(name, kExposedPeer, key, ControlStatus::kMissing,
                   "listening on " + config.cluster.peer_host + " without TLS");
  }
  return control(name, kExposedPeer, key, ControlStatus::kOk,
                 "TLS and the cluster secret on " + config.cluster.peer_host);
}

// The operator HTTP listener serves /metrics and /health in plain text to anyone who reaches
// it: beyond loopback it exposes the node's traffic figures.
Control operator_bind(const Config& config) {
  const std::string name = "operator bind address";
  const std::string key = "operator.host";
  const OperatorListener& listener = config.operator_listener;
  if (listener.port == 0) {
    return control(name, kExposedOperator, key, ControlStatus::kOk, "no operator listener");
  }
  if (!is_loopback_ip(listener.host)) {
    return control(name, kExposedOperator, key, ControlStatus::kMissing,
                   "/metrics and /health on " + listener.host +
                       " in plain text without authentication");
  }
  return control(name, kExposedOperator, key, ControlStatus::kOk,
                 "loopback only (" + listener.host + ")");
}

std::string octal_mode(std::uint32_t mode) {
  std::string text(4, '0');
  for (int i = 3; i >= 0; --i, mode >>= 3)
    text[static_cast<std::size_t>(i)] = static_cast<char>('0' + (mode & 7));
  return text;
}

Control permissions(const Config& config, const PostureFacts& facts) {
  std::vector<std::string> loose;
  for (const PostureFile& file : posture_files(config)) {
    const auto found = facts.files.find(file.path);
    if (found == facts.files.end() || !found->second.exists) continue;
    if ((found->second.mode & 077) != 0) {
      loose.push_back(file.key + " (" + file.path.string() + ", mode " +
                      octal_mode(found->second.mode) + ")");
    }
  }
  const std::string key = "storage.data_dir and secret files";
  if (!loose.empty()) {
    return control("file permissions", kPermissions, key, ControlStatus::kWeak,
                   "group or others may access " + joined(loose));
  }
  return control("file permissions", kPermissions, key, ControlStatus::kOk,
                 "the data dir and secret files are private to keepd's user");
}

Control pinning(const Config& config) {
  std::vector<std::string> unpinned;
  for (const PluginSpec& spec : config.plugins.load) {
    if (spec.sha256.empty()) unpinned.push_back("'" + spec.name + "'");
  }
  const std::string key = "[[plugin]] sha256";
  if (!unpinned.empty()) {
    return control("plugin pinning", kUnpinned, key, ControlStatus::kMissing,
                   "no sha256 for " + joined(unpinned));
  }
  return control("plugin pinning", kUnpinned, key, ControlStatus::kOk,
                 config.plugins.load.empty() ? "no plugins" : "every plugin is pinned");
}

Control jwt_key(const Config& config, const PostureFacts& facts) {
  std::vector<std::string> weak;
  for (const PluginSpec& spec : config.plugins.load) {
    if (facts_of(facts, spec).provider != "auth-jwt") continue;
    const auto secret = option(spec, "hmac_secret_file");
    if (!secret) continue;
    const auto found = facts.files.find(option_path(config, *secret));
    if (found != facts.files.end() && found->second.exists &&
        found->second.size < kStrongHmacKeyBytes) {
      weak.push_back("'" + spec.name + "' (" + std::to_string(found->second.size) + " bytes)");
    }
  }
  const std::string key = "auth-jwt options.hmac_secret_file";
  if (!weak.empty()) {
    return control("JWT key strength", kJwtKey, key, ControlStatus::kWeak,
                   "HMAC secret shorter than " + std::to_string(kStrongHmacKeyBytes) +
                       " bytes in " + joined(weak));
  }
  return control("JWT key strength", kJwtKey, key, ControlStatus::kOk,
                 "no HMAC secret under " + std::to_string(kStrongHmacKeyBytes) + " bytes");
}

Control token_strength(const Config& config, const PostureFacts& facts) {
  std::vector<std::string> weak;
  for (const PluginSpec& spec : config.plugins.load) {
    if (facts_of(facts, spec).provider != "auth-token") continue;
    const std::string text = option(spec, "min_token_length").value_or("16");
    std::uint64_t length = 0;
    std::from_chars(text.data(), text.data() + text.size(), length);
    if (length < kStrongTokenLength) weak.push_back("'" + spec.name + "' (" + text + ")");
  }
  const std::string key = "auth-token options.min_token_length";
  if (!weak.empty()) {
    return control("token strength", kTokens, key, ControlStatus::kWeak,
                   "tokens shorter than " + std::to_string(kStrongTokenLength) +
                       " bytes are accepted by " + joined(weak));
  }
  return control("token strength", kTokens, key, ControlStatus::kOk,
                 "no token under " + std::to_string(kStrongTokenLength) + " bytes is accepted");
}

Control limits(const Config& config) {
  const Limits& limits = config.limits;
  std::vector<std::string> unsafe;
  const auto bounded = [&](std::string_view key, std::chrono::milliseconds value) {
    if (value.count() == 0 || value > kMaxSafeTimeout) {
      unsafe.push_back(std::string(key) + " = " + std::to_string(value.count()));
    }
  };
  bounded("request_timeout_ms", limits.request_timeout);
  bounded("auth_timeout_ms", limits.auth_timeout);
  if (limits.idle_timeout.count() == 0) unsafe.push_back("idle_timeout_ms = 0");
  if (limits.max_client_memory_bytes == 0) unsafe.push_back("max_client_memory_bytes = 0");
  if (!unsafe.empty()) {
    return control("limits", kLimits, "[limits]", ControlStatus::kWeak,
                   joined(unsafe) + " (timeouts must be 1..60000 ms, idle and memory bounded)");
  }
  return control("limits", kLimits, "[limits]", ControlStatus::kOk,
                 "timeouts and client memory are bounded");
}

std::string describe(const Control& row) {
  return row.name + " is " + std::string(control_status_name(row.status)) + " (" + row.key +
         "): " + row.reason;
}

}  // namespace

std::string_view control_status_name(ControlStatus status) {
  switch (status) {
    case ControlStatus::kOk:
      return "ok";
    case ControlStatus::kMissing:
      return "missing";
    case ControlStatus::kWeak:
      return "weak";
  }
  return "unknown";
}

std::span<const std::string_view> risk_names() {
  return kRisks;
}

bool is_risk_name(std::string_view name) {
  return std::find(kRisks.begin(), kRisks.end(), name) != kRisks.end();
}

std::vector<PostureFile> posture_files(const Config& config) {
  std::vector<PostureFile> files{{config.storage.data_dir, "storage.data_dir"}};
  if (config.storage.log_dir_of_its_own()) {
    files.push_back({config.storage.log_dir, "storage.log_dir"});
  }
  if (!config.cluster.secret_file.empty()) {
    files.push_back({config.cluster.secret_file, "cluster.secret_file"});
  }
  for (const PluginSpec& spec : config.plugins.load) {
    for (const auto& [name, value] : spec.options) {
      if (std::find(kSecretOptions.begin(), kSecretOptions.end(), name) != kSecretOptions.end())
        files.push_back({option_path(config, value), option_key(spec, name)});
    }
  }
  return files;
}

std::vector<Control> evaluate_posture(const Config& config, const PostureFacts& facts) {
  const auto authenticators =
      plugins_where(config, facts, [](const PluginFacts& p) { return p.authenticator; });
  const auto admission =
      plugins_where(config, facts, [](const PluginFacts& p) { return p.admission; });
  const std::string by_kind = "[[plugin]] of kind ";
  std::vector<Control> table;
  table.push_back(client_tls(config));
  table.push_back(peer_secret(config));
  table.push_back(peer_mtls(config));
  table.push_back(ok_or_missing("authentication", kAuth, by_kind + "authenticator", authenticators,
                                "clients authenticate with",
                                "no authenticator: every client is trusted"));
  table.push_back(ok_or_missing("authorization roles", kRoles, by_kind + "authenticator",
                                authenticators, "each principal's roles come from",
                                "no authenticator: every client has every role, admin included"));
  table.push_back(ok_or_missing("admission", kAdmission, by_kind + "admission", admission,
                                "admitted by", "no admission plugin: no rate limits or bans"));
  table.push_back(audit(config, facts));
  table.push_back(client_bind(config, !authenticators.empty()));
  table.push_back(peer_bind(config));
  table.push_back(operator_bind(config));
  table.push_back(permissions(config, facts));
  table.push_back(pinning(config));
  table.push_back(jwt_key(config, facts));
  table.push_back(token_strength(config, facts));
  table.push_back(limits(config));
  if (facts.running_as_root) {
    table.push_back(control("running as root", kRoot, "(the user keepd runs as)",
                            ControlStatus::kMissing, "keepd runs as root (uid 0)"));
  } else {
    table.push_back(control("running as root", kRoot, "(the user keepd runs as)",
                            ControlStatus::kOk, "keepd runs as an unprivileged user"));
  }
  return table;
}

bool risk_accepted(const Config& config, const Control& row) {
  const auto& risks = config.security.accept_risks;
  return row.status != ControlStatus::kOk &&
         std::find(risks.begin(), risks.end(), row.risk) != risks.end();
}

std::vector<std::string> posture_refusals(const Config& config,
                                          const std::vector<Control>& controls) {
  const bool prod = config.security.level == SecurityLevel::kProd;
  std::vector<std::string> refusals;
  for (const Control& row : controls) {
    if (row.status == ControlStatus::kOk || risk_accepted(config, row)) continue;
    const bool exposed =
        std::find(kExposedRisks.begin(), kExposedRisks.end(), row.risk) != kExposedRisks.end();
    if (!prod && !exposed) continue;
    refusals.push_back(describe(row) + "; refused" + (prod ? " in [security] level \"prod\"" : "") +
                       " unless [security] accept_risks names \"" + row.risk + "\"");
  }
  return refusals;
}

std::string accepted_risk_banner(const std::string& risk, const std::vector<Control>& controls) {
  const auto row = std::find_if(controls.begin(), controls.end(),
                                [&](const Control& candidate) { return candidate.risk == risk; });
  if (row == controls.end()) return "accepted risk " + risk;
  return "accepted risk " + risk + ": " + describe(*row);
}

}  // namespace keepdb::config
