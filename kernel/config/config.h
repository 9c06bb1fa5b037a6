// Typed node configuration, loaded from one TOML file (toml++). Owns the schema, the
// defaults and validation; knows nothing about how the values are used.
//
// Thread-safety: a Config is an immutable value once loaded; share it by const reference.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keepdb::config {

// Hard limits on everything a client can make the server hold or wait for. Keys are in
// `[limits]`; ranges and client-visible behaviour are in docs/configuration.md.
struct Limits {
  bool operator==(const Limits&) const = default;  // reload_diff.h compares configs
  std::uint64_t max_bulk_bytes = 16u << 20;    // one bulk string ($len)
  std::uint64_t max_array_len = 1u << 20;      // arguments in one request (*len)
  std::uint64_t max_inline_bytes = 64u << 10;  // one inline command line
  // Unparsed input buffered per connection; at least max_bulk_bytes + 1024.
  std::uint64_t max_request_buffer_bytes = 64u << 20;
  // Replies queued for a client that does not read; at least max_bulk_bytes + 1024.
  std::uint64_t max_reply_buffer_bytes = 64u << 20;
  std::uint32_t max_connections = 10000;  // accepted client connections, in total
  // Input and reply buffers of all clients together; over it, the biggest are closed first
  // (0 = no limit; else at least 1 MiB). 1 GiB: 8 clients at twice max_reply_buffer_bytes,
  // or max_connections idle clients (16 KiB each), fit well inside it.
  std::uint64_t max_client_memory_bytes = 1u << 30;
  // No complete request for this long: close (0 = never). Key: idle_timeout_ms.
  std::chrono::milliseconds idle_timeout{300'000};
  // A started request must complete within this (0 = no limit). Key: request_timeout_ms.
  std::chrono::milliseconds request_timeout{10'000};
  // With an authenticator configured, a connection not authenticated this long after it
  // was accepted is closed (0 = no limit). Key: auth_timeout_ms.
  std::chrono::milliseconds auth_timeout{10'000};
  // KEYS visits every stored key on the network thread: over this many keys it is refused
  // (use SCAN), so one call cannot stall the node.
  std::uint64_t max_keys_visited = 100'000;
  // A transaction (MULTI ... EXEC) queues at most this many commands of at most this many
  // bytes of arguments in all, and a connection WATCHes at most max_watched_keys keys: over
  // them the command is refused (and EXEC then aborts), so one client's transaction state
  // stays bounded. The bytes must fit one forwarded write (peer frames carry 256 MiB).
  std::uint64_t max_queued_commands = 100'000;
  std::uint64_t max_transaction_bytes = 64u << 20;
  std::uint64_t max_watched_keys = 10'000;
};

// Databases a node offers (SELECT 0..N-1) unless storage.databases says otherwise, as Redis.
inline constexpr std::uint32_t kDefaultDatabases = 16;
// How long applied log entries may stay in the key-value store's open write transaction
// before it commits (docs/configuration.md, storage.commit_interval_ms): the longest the
// range allows, since the longer the window the more writes share each page it writes.
inline constexpr std::chrono::milliseconds kDefaultCommitInterval{1000};

struct Storage {
  bool operator==(const Storage&) const = default;  // reload_diff.h compares configs
  std::filesystem::path data_dir;             // created 0700; a wider existing dir is refused
  // The raft log's directory: data_dir/raft unless storage.log_dir names one (its own disk).
  std::filesystem::path log_dir;
  bool log_dir_of_its_own() const { return log_dir != data_dir / "raft"; }
  std::uint64_t map_size_bytes = 8ull << 30;  // LMDB map size (virtual; grows the file lazily)
  std::uint32_t databases = kDefaultDatabases;  // 1 to 256 (one byte names a database)
  std::chrono::milliseconds commit_interval = kDefaultCommitInterval;  // 0 to 1000 ms
};

inline constexpr std::uint32_t kMaxIoThreads = 64;

struct ClientListener {
  bool operator==(const ClientListener&) const = default;  // reload_diff.h compares configs
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  // The [[plugin]] (of kind transport) every connection goes through, e.g. TLS; empty: plain.
  std::string transport;
  // A transport's handshake must complete within this time and this many received bytes.
  std::chrono::milliseconds handshake_timeout{10000};
  std::uint32_t handshake_max_bytes = 256u << 10;
  // Threads that run client sockets and their transport sessions (0..kMaxIoThreads); 0:
  // the network thread does it all.
  std::uint32_t io_threads = 0;
};

// The operator HTTP listener (`[operator]`): GET /metrics and /health. Port 0: none.
struct OperatorListener {
  bool operator==(const OperatorListener&) const = default;  // reload_diff.h compares configs
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

// One `[[plugin]]` table: a provider shared object and its options.
struct PluginSpec {
  bool operator==(const PluginSpec&) const = default;  // reload_diff.h compares configs
  std::string name;            // unique among [[plugin]] tables
  std::filesystem::path path;  // resolved against Plugins::dir
  std::string sha256;          // optional pin: 64 lowercase hex chars, or empty
  // The `options` table flattened to dotted keys ("a.b" = "v"); values as text
  // (strings verbatim, integers/booleans/floats in TOML spelling). Order as in the file.
  // Array elements get their index as the last key part ("a.0", "a.1"); empty arrays and
  // empty tables produce no entry. docs/configuration.md has the full rules.
  std::vector<std::pair<std::string, std::string>> options;
  // Audit sinks only: refuse the commands that would be recorded while this sink cannot
  // record them (it fails, or the audit queue is full), instead of dropping records.
  bool fail_closed = false;
  int line = 0;  // line of the [[plugin]] header, for errors
};

struct Plugins {
  bool operator==(const Plugins&) const = default;  // reload_diff.h compares configs
  std::filesystem::path dir;     // `[plugins] dir`, resolved against the file
  std::vector<PluginSpec> load;  // every [[plugin]], in file order
  // `[plugins] audit_queue`: records the audit queue holds before it drops (or, with a
  // fail_closed sink, refuses recorded commands).
  std::uint32_t audit_queue = 65536;
  // `[plugins] auth_deadline_ms`: how long one AUTH may take, the whole authenticator chain
  // included, before it fails.
  std::chrono::milliseconds auth_deadline{2000};
  // The config file's directory (absolute, normalized): relative KDB_OPT_PATH option
  // values resolve against it; plugins read it as host->config_dir. Empty: none.
  std::filesystem::path config_dir;
};

// One member of the initial cluster configuration (`[[cluster.member]]`).
struct ClusterMember {
  bool operator==(const ClusterMember&) const = default;  // reload_diff.h compares configs
  std::uint64_t id = 0;        // > 0, unique
  std::string peer_address;    // "host:port" of its peer listener
  std::string client_address;  // "host:port" of its client listener
  // The certificate identity (CN, DNS or URI SAN) it presents on peer links; required with
  // a cluster transport, which refuses any other identity for this member.
  std::string identity;
};

struct Cluster {
  bool operator==(const Cluster&) const = default;  // reload_diff.h compares configs
  std::string id = "keepdb";            // cluster id, checked in the peer handshake
  // The file holding the cluster secret every member proves in the peer handshake
  // (resolved against the config file; empty: none). Required with a peer listener unless
  // `[security] accept_risks` names "no-peer-secret", which only a loopback peer_host may.
  std::filesystem::path secret_file;
  std::string peer_host = "127.0.0.1";  // this node's peer listener
  std::uint16_t peer_port = 0;          // 0: single node, no peer listener
  // The [[plugin]] (of kind transport) every peer link goes through: peer mutual TLS, the
  // cluster-secret handshake inside it. Empty: plain TCP.
  std::string transport;
  bool bootstrap = true;                // true: form the cluster from `members`;
                                        // false: join an existing cluster (KEEPDB.ADD)
  std::vector<ClusterMember> members;   // empty: a one-voter cluster of this node
  // Log compaction: a snapshot after this many applied entries, keeping this many entries
  // of log behind it for followers that lag a little.
  std::uint32_t snapshot_threshold = 1024;
  std::uint32_t snapshot_trailing = 2048;
  // And a snapshot once the entries applied since the last one hold this many bytes, keeping
  // at most half of it behind it: the log in memory and on disk is bounded by bytes.
  std::uint64_t snapshot_threshold_bytes = 16ull << 20;
};

// `[security] level`: "dev" reports the posture; "prod" refuses to start while a control is
// missing or weak (kernel/config/posture.h).
enum class SecurityLevel { kDev, kProd };

// The level and the posture gaps the operator accepts on purpose (`[security]`). Parsed
// here, judged by the posture check (kernel/config/posture.h).
struct Security {
  bool operator==(const Security&) const = default;  // reload_diff.h compares configs
  SecurityLevel level = SecurityLevel::kDev;
  std::vector<std::string> accept_risks;  // unique risk names (posture.h), e.g. "no-audit"
};

// The accepted risk that lets a node with a loopback peer listener run without
// cluster.secret_file (its peers then prove nothing in the handshake).
inline constexpr std::string_view kNoPeerSecretRisk = "no-peer-secret";

struct Config {
  bool operator==(const Config&) const = default;  // reload_diff.h compares configs
  std::filesystem::path source;  // the file this was loaded from
  std::uint64_t node_id = 1;
  Storage storage;
  ClientListener client;
  OperatorListener operator_listener;
  Limits limits;
  Plugins plugins;
  Cluster cluster;
  Security security;
};

// A configuration error: `what()` is one line naming the file, line and key, e.g.
//   "profiles/dev.toml:7: limits.max_bulk_bytes: must be between 1 and 536870912"
// Errors not tied to a key (TOML syntax, bad bytes) omit the key part; errors about the
// whole file (unreadable, too large) omit the line too.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses and validates `path` (at most 1 MiB of UTF-8). Unknown keys, wrong types and
// out-of-range values are errors. Relative paths inside the file are resolved against the
// file's directory and stored absolute. Throws ConfigError.
Config load_file(const std::filesystem::path& path);

// Same, from text already in memory; `source_name` is used in error messages and relative
// paths are resolved against the current directory.
Config load_string(std::string_view toml_text, const std::filesystem::path& source_name);

}  // namespace keepdb::config
