// The configuration schema, table by table: keys, types, defaults, ranges, cross-checks.
#include "kernel/config/schema.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <set>

#include "kernel/config/address.h"
#include "kernel/config/error_text.h"
#include "kernel/config/limit_ranges.h"
#include "kernel/config/plugin_options.h"
#include "kernel/config/posture.h"
#include "kernel/config/table_reader.h"

namespace keepdb::config {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kUnbounded = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kKiB = 1 << 10;
constexpr std::int64_t kMiB = 1 << 20;
constexpr std::int64_t kGiB = 1 << 30;
constexpr std::int64_t kMaxPort = 65535;
constexpr std::int64_t kMaxBulkBytes = 512 * kMiB;
constexpr std::int64_t kMaxArrayLen = 16 * kMiB;
constexpr std::int64_t kMaxInlineBytes = 16 * kMiB;
constexpr std::int64_t kMaxBufferBytes = 1 * kGiB;
using limit_ranges::kMaxClientMemoryBytes;
using limit_ranges::kMaxConnections;
using limit_ranges::kMaxTimeoutMs;
using limit_ranges::kMinClientMemoryBytes;
constexpr std::int64_t kMaxKeysVisited = 1'000'000'000;
constexpr std::int64_t kMaxTransactionEntries = 10'000'000;
constexpr std::int64_t kMaxTransactionBytes = 128ll << 20;  // half a peer frame
constexpr std::int64_t kMaxSnapshotEntries = 1'000'000'000;
constexpr std::int64_t kMinSnapshotBytes = 1ll << 20;   // 1 MiB
constexpr std::int64_t kMaxSnapshotBytes = 64ll << 30;  // 64 GiB
// Room for the RESP framing around one bulk string ("*3\r\n$3\r\nSET\r\n$N\r\n...").
constexpr std::int64_t kFramingSlackBytes = 1 * kKiB;
constexpr std::size_t kSha256HexLength = 64;

fs::path resolve(const fs::path& base_dir, const std::string& text) {
  return (base_dir / text).lexically_normal();
}

// Whether `inner` is `outer` or below it (both absolute and lexically normal).
bool within(const fs::path& inner, const fs::path& outer) {
  const fs::path relative = inner.lexically_relative(outer);
  return !relative.empty() && *relative.begin() != "..";
}

// A string that must be present (unless `fallback` is given) and non-empty.
std::string non_empty_string(const TableReader& table, std::string_view key,
                             std::optional<std::string> fallback = std::nullopt) {
  std::optional<std::string> value = table.string(key);
  if (!value) value = std::move(fallback);
  if (!value) table.fail(key, "required key is missing");
  if (value->empty()) table.fail(key, "must not be empty");
  return *value;
}

// Records where `value` was first seen under `key`; a second sighting is an error naming
// both lines. `described` is how the value reads in the message ("member id 2").
template <typename Value>
void require_unique(std::map<Value, std::uint32_t, std::less<>>& first_lines, const Value& value,
                    const TableReader& table, std::string_view key, std::string_view described) {
  const auto [first, inserted] = first_lines.emplace(value, table.line_of(key));
  if (!inserted) {
    table.fail(key, "duplicate " + std::string(described) + " (first at line " +
                        std::to_string(first->second) + ")");
  }
}

std::uint64_t read_node_id(const TableReader& root) {
  return static_cast<std::uint64_t>(root.integer("node_id", 1, kUnbounded).value_or(1));
}

Storage read_storage(const TableReader& root, const fs::path& base_dir) {
  const auto table =
      root.table("storage",
                 {"data_dir", "log_dir", "map_size_bytes", "databases", "commit_interval_ms"});
  if (!table) {
    throw_config_error({root.source(), root.line(), "storage.data_dir"}, "required key is missing");
  }
  Storage storage;
  storage.data_dir = resolve(base_dir, non_empty_string(*table, "data_dir"));
  if (table->string("log_dir")) {
    storage.log_dir = resolve(base_dir, non_empty_string(*table, "log_dir"));
    // Another directory of the data dir's, or one holding it, would mix the two stores' files.
    if (within(storage.log_dir, storage.data_dir) && storage.log_dir_of_its_own()) {
      table->fail("log_dir", "must not be inside storage.data_dir (" + storage.data_dir.string() +
                                 ") except as its raft folder, the default; name a directory "
                                 "of its own");
    }
    if (within(storage.data_dir, storage.log_dir)) {
      table->fail("log_dir", "must not hold storage.data_dir (" + storage.data_dir.string() +
                                 "); name a directory of its own");
    }
  } else {
    storage.log_dir = storage.data_dir / "raft";
  }
  storage.map_size_bytes = static_cast<std::uint64_t>(
      table->integer("map_size_bytes", kMiB, kUnbounded).value_or(storage.map_size_bytes));
  storage.databases = static_cast<std::uint32_t>(
      table->integer("databases", 1, 256).value_or(storage.databases));
  storage.commit_interval = std::chrono::milliseconds(
      table->integer("commit_interval_ms", 0, 1000).value_or(storage.commit_interval.count()));
  return storage;
}

ClientListener read_client(const TableReader& root) {
  ClientListener client;
  const auto table = root.table(
      "client", {"host", "port", "transport", "handshake_timeout_ms", "handshake_max_bytes",
                 "io_threads"});
  if (!table) return client;
  client.host = non_empty_string(*table, "host", client.host);
  client.port =
      static_cast<std::uint16_t>(table->integer("port", 1, kMaxPort).value_or(client.port));
  if (table->string("transport")) client.transport = non_empty_string(*table, "transport");
  client.handshake_timeout = std::chrono::milliseconds(
      table->integer("handshake_timeout_ms", 100, 600000).value_or(client.handshake_timeout.count()));
  client.handshake_max_bytes = static_cast<std::uint32_t>(
      table->integer("handshake_max_bytes", 4096, 16 << 20).value_or(client.handshake_max_bytes));
  client.io_threads = static_cast<std::uint32_t>(
      table->integer("io_threads", 0, kMaxIoThreads).value_or(client.io_threads));
  return client;
}

OperatorListener read_operator(const TableReader& root) {
  OperatorListener listener;
  const auto table = root.table("operator", {"host", "port"});
  if (!table) return listener;
  listener.host = non_empty_string(*table, "host", listener.host);
  listener.port =
      static_cast<std::uint16_t>(table->integer("port", 0, kMaxPort).value_or(listener.port));
  return listener;
}

Limits read_limits(const TableReader& root) {
  Limits limits;
  const auto table =
      root.table("limits", {"max_bulk_bytes", "max_array_len", "max_inline_bytes",
                            "max_request_buffer_bytes", "max_reply_buffer_bytes", "max_connections",
                            "max_client_memory_bytes", "idle_timeout_ms", "request_timeout_ms",
                            "auth_timeout_ms", "max_keys_visited", "max_queued_commands",
                            "max_transaction_bytes", "max_watched_keys"});
  if (!table) return limits;
  const auto read = [&](std::string_view key, std::int64_t min, std::int64_t max, auto fallback) {
    return static_cast<decltype(fallback)>(table->integer(key, min, max).value_or(fallback));
  };
  const auto read_ms = [&](std::string_view key, std::chrono::milliseconds fallback) {
    return std::chrono::milliseconds(read(key, 0, kMaxTimeoutMs, fallback.count()));
  };
  limits.max_bulk_bytes = read("max_bulk_bytes", 1, kMaxBulkBytes, limits.max_bulk_bytes);
  limits.max_array_len = read("max_array_len", 1, kMaxArrayLen, limits.max_array_len);
  limits.max_inline_bytes = read("max_inline_bytes", 1, kMaxInlineBytes, limits.max_inline_bytes);
  limits.max_request_buffer_bytes =
      read("max_request_buffer_bytes", 1, kMaxBufferBytes, limits.max_request_buffer_bytes);
  limits.max_reply_buffer_bytes =
      read("max_reply_buffer_bytes", 1, kMaxBufferBytes, limits.max_reply_buffer_bytes);
  limits.max_connections = read("max_connections", 1, kMaxConnections, limits.max_connections);
  limits.max_client_memory_bytes =
      read("max_client_memory_bytes", 0, kMaxClientMemoryBytes, limits.max_client_memory_bytes);
  if (limits.max_client_memory_bytes != 0 &&
      limits.max_client_memory_bytes < static_cast<std::uint64_t>(kMinClientMemoryBytes)) {
    table->fail("max_client_memory_bytes",
                "must be 0 (no limit) or between " + std::to_string(kMinClientMemoryBytes) +
                    " and " + std::to_string(kMaxClientMemoryBytes));
  }
  limits.idle_timeout = read_ms("idle_timeout_ms", limits.idle_timeout);
  limits.request_timeout = read_ms("request_timeout_ms", limits.request_timeout);
  limits.auth_timeout = read_ms("auth_timeout_ms", limits.auth_timeout);
  limits.max_keys_visited = read("max_keys_visited", 1, kMaxKeysVisited, limits.max_keys_visited);
  limits.max_queued_commands =
      read("max_queued_commands", 1, kMaxTransactionEntries, limits.max_queued_commands);
  limits.max_transaction_bytes =
      read("max_transaction_bytes", 1, kMaxTransactionBytes, limits.max_transaction_bytes);
  limits.max_watched_keys =
      read("max_watched_keys", 1, kMaxTransactionEntries, limits.max_watched_keys);

  // A maximal bulk string (and a maximal inline line) must fit in the request buffer, and a
  // maximal value must fit in the reply buffer, or a legal request or GET could never work.
  const std::uint64_t max_frame = limits.max_bulk_bytes + kFramingSlackBytes;
  const std::uint64_t min_request_buffer = std::max(max_frame, limits.max_inline_bytes);
  if (limits.max_request_buffer_bytes < min_request_buffer) {
    table->fail("max_request_buffer_bytes",
                "must be at least max(max_bulk_bytes + 1024, max_inline_bytes) = " +
                    std::to_string(min_request_buffer) + " so a maximal request fits");
  }
  if (limits.max_reply_buffer_bytes < max_frame) {
    table->fail("max_reply_buffer_bytes",
                "must be at least max_bulk_bytes + 1024 = " + std::to_string(max_frame) +
                    " so a maximal value can be read back");
  }
  return limits;
}

std::string read_sha256(const TableReader& plugin) {
  std::string digest = plugin.string("sha256").value_or("");
  if (digest.empty()) return digest;
  const bool hex = std::all_of(digest.begin(), digest.end(),
                               [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  if (digest.size() != kSha256HexLength || !hex) {
    plugin.fail("sha256", "must be 64 hexadecimal characters");
  }
  std::transform(digest.begin(), digest.end(), digest.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return digest;
}

Plugins read_plugins(const TableReader& root, const fs::path& base_dir) {
  Plugins plugins;
  plugins.config_dir = base_dir.lexically_normal();
  const auto table = root.table("plugins", {"dir", "audit_queue", "auth_deadline_ms"});
  plugins.dir = resolve(base_dir, table ? non_empty_string(*table, "dir", "plugins") : "plugins");
  if (table) {
    plugins.audit_queue = static_cast<std::uint32_t>(
        table->integer("audit_queue", 16, 1 << 20).value_or(plugins.audit_queue));
    plugins.auth_deadline = std::chrono::milliseconds(
        table->integer("auth_deadline_ms", 100, 60'000).value_or(plugins.auth_deadline.count()));
  }

  std::map<std::string, std::uint32_t, std::less<>> line_of_name;
  for (const TableReader& plugin :
       root.array_of_tables("plugin", {"name", "path", "sha256", "fail_closed", "options"})) {
    PluginSpec spec;
    spec.name = non_empty_string(plugin, "name");
    require_unique(line_of_name, spec.name, plugin, "name", "plugin name '" + spec.name + "'");
    spec.path = resolve(plugins.dir, non_empty_string(plugin, "path"));
    spec.sha256 = read_sha256(plugin);
    spec.fail_closed = plugin.boolean("fail_closed").value_or(false);
    if (const toml::table* options = plugin.raw_table("options")) {
      spec.options = flatten_plugin_options(*options, plugin.key_path("options"), plugin.source());
    }
    spec.line = static_cast<int>(plugin.line());
    plugins.load.push_back(std::move(spec));
  }
  return plugins;
}

// A "host:port" member address; `key` names it in errors.
std::string read_address(const TableReader& member, std::string_view key) {
  std::string address = non_empty_string(member, key);
  if (const auto problem = host_port_problem(address)) member.fail(key, *problem);
  return address;
}

std::vector<ClusterMember> read_members(const TableReader& cluster) {
  std::vector<ClusterMember> members;
  std::map<std::uint64_t, std::uint32_t, std::less<>> line_of_id;
  std::map<std::string, std::uint32_t, std::less<>> line_of_peer;
  for (const TableReader& entry :
       cluster.array_of_tables("member", {"id", "peer", "client", "identity"})) {
    ClusterMember member;
    const auto id = entry.integer("id", 1, kUnbounded);
    if (!id) entry.fail("id", "required key is missing");
    member.id = static_cast<std::uint64_t>(*id);
    require_unique(line_of_id, member.id, entry, "id", "member id " + std::to_string(member.id));
    member.peer_address = read_address(entry, "peer");
    require_unique(line_of_peer, member.peer_address, entry, "peer",
                   "peer address '" + member.peer_address + "'");
    member.client_address = read_address(entry, "client");
    if (entry.string("identity")) {
      member.identity = non_empty_string(entry, "identity");
    } else if (cluster.string("transport")) {
      entry.fail("identity",
                 "required with cluster.transport: the certificate identity (CN, DNS or URI "
                 "SAN) this member presents on peer links");
    }
    members.push_back(std::move(member));
  }
  return members;
}

Security read_security(const TableReader& root) {
  Security security;
  const auto table = root.table("security", {"level", "accept_risks"});
  if (!table) return security;
  if (const auto level = table->string("level")) {
    if (*level == "prod") {
      security.level = SecurityLevel::kProd;
    } else if (*level != "dev") {
      table->fail("level", "must be \"dev\" or \"prod\", not '" + *level + "'");
    }
  }
  security.accept_risks = table->string_array("accept_risks").value_or(std::vector<std::string>{});
  std::set<std::string_view> seen;
  for (const std::string& risk : security.accept_risks) {
    if (risk.empty()) table->fail("accept_risks", "entries must not be empty");
    if (!seen.insert(risk).second) table->fail("accept_risks", "'" + risk + "' is listed twice");
  }
  // A misspelt name would accept nothing while the operator believes it does.
  for (const std::string& risk : security.accept_risks) {
    if (is_risk_name(risk)) continue;
    std::string known;
    for (const std::string_view name : risk_names())
      known += (known.empty() ? "" : ", ") + std::string(name);
    table->fail("accept_risks", "unknown risk '" + risk + "' (known: " + known + ")");
  }
  return security;
}

// A peer listener needs the cluster secret; only on loopback may an operator go without it,
// and only by naming the risk.
void check_peer_secret(const TableReader& cluster_table, const Cluster& cluster,
                       const Security& security) {
  if (cluster.peer_port == 0 || !cluster.secret_file.empty()) return;
  const bool accepted = std::find(security.accept_risks.begin(), security.accept_risks.end(),
                                  kNoPeerSecretRisk) != security.accept_risks.end();
  if (!accepted) {
    cluster_table.fail("secret_file",
                       "required with a peer listener (peer_port): every member proves this secret "
                       "in the peer handshake; create one with `openssl rand -hex 32 > FILE && "
                       "chmod 600 FILE` (on loopback only, [security] accept_risks = "
                       "[\"no-peer-secret\"] runs without)");
  }
  if (!is_loopback_ip(cluster.peer_host)) {
    cluster_table.fail("secret_file",
                       "required: accept_risks \"no-peer-secret\" is allowed only with a loopback "
                       "peer_host, and this one is '" + cluster.peer_host + "'");
  }
}

Cluster read_cluster(const TableReader& root, std::uint64_t node_id, const fs::path& base_dir,
                     const Security& security) {
  Cluster cluster;
  const auto table =
      root.table("cluster", {"id", "secret_file", "peer_host", "peer_port", "transport", "bootstrap",
                             "snapshot_threshold", "snapshot_trailing", "snapshot_threshold_bytes",
                             "member"});
  if (!table) return cluster;
  cluster.id = non_empty_string(*table, "id", cluster.id);
  if (table->string("secret_file")) {
    cluster.secret_file = resolve(base_dir, non_empty_string(*table, "secret_file"));
  }
  cluster.peer_host = non_empty_string(*table, "peer_host", cluster.peer_host);
  cluster.peer_port = static_cast<std::uint16_t>(
      table->integer("peer_port", 0, kMaxPort).value_or(cluster.peer_port));
  if (table->string("transport")) cluster.transport = non_empty_string(*table, "transport");
  cluster.bootstrap = table->boolean("bootstrap").value_or(cluster.bootstrap);
  const auto read_entries = [&](std::string_view key, std::int64_t min, std::uint32_t fallback) {
    return static_cast<std::uint32_t>(
        table->integer(key, min, kMaxSnapshotEntries).value_or(fallback));
  };
  cluster.snapshot_threshold = read_entries("snapshot_threshold", 2, cluster.snapshot_threshold);
  cluster.snapshot_trailing = read_entries("snapshot_trailing", 0, cluster.snapshot_trailing);
  cluster.snapshot_threshold_bytes = static_cast<std::uint64_t>(
      table->integer("snapshot_threshold_bytes", kMinSnapshotBytes, kMaxSnapshotBytes)
          .value_or(static_cast<std::int64_t>(cluster.snapshot_threshold_bytes)));
  cluster.members = read_members(*table);

  if (!cluster.members.empty() &&
      std::none_of(cluster.members.begin(), cluster.members.end(),
                   [&](const ClusterMember& member) { return member.id == node_id; })) {
    root.fail("node_id",
              "this node (" + std::to_string(node_id) + ") is not among the cluster.member ids");
  }
  if (cluster.members.size() > 1 && cluster.peer_port == 0) {
    table->fail("peer_port", "must be set (1..65535) when the cluster has more than one member");
  }
  check_peer_secret(*table, cluster, security);
  return cluster;
}

}  // namespace

Config read_config(const toml::table& document, std::string_view source, const fs::path& base_dir) {
  const TableReader root(
      document, "", source,
      {"node_id", "storage", "client", "operator", "limits", "plugins", "plugin", "cluster",
       "security"});
  Config config;
  config.node_id = read_node_id(root);
  config.storage = read_storage(root, base_dir);
  config.client = read_client(root);
  config.operator_listener = read_operator(root);
  config.limits = read_limits(root);
  config.plugins = read_plugins(root, base_dir);
  config.security = read_security(root);
  config.cluster = read_cluster(root, config.node_id, base_dir, config.security);
  return config;
}

}  // namespace keepdb::config
