// What immediate (non-proposed) commands may see of the node: the key-value store through
// a read snapshot (with expired keys hidden), server statistics, limits, and identity. The
// network layer owns the concrete object and hands a reference to every command.
//
// Thread-safety: used only on the network thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernel/commands/auth_gateway.h"
#include "kernel/commands/client_registry.h"
#include "kernel/commands/command_stats.h"
#include "kernel/commands/cluster.h"
#include "kernel/commands/scan_cursors.h"
#include "kernel/commands/wall_clock.h"
#include "kernel/config/config.h"
#include "storage/kv_store.h"
#include "storage/write_window.h"
#include "util/latency_histogram.h"

namespace keepdb::commands {

class AuditLog;  // kernel/commands/audit.h
class ConfigReload;  // kernel/commands/config_reload.h

// Security outcomes on this node, for INFO security and /metrics.
struct SecurityStats {
  std::uint64_t auth_ok = 0;
  std::uint64_t auth_failed = 0;
  std::uint64_t denied_by_role = 0;        // commands refused for the caller's roles
  std::uint64_t denied_by_admission = 0;   // commands refused by the admission gate
  std::uint64_t connections_denied = 0;    // connections the admission gate refused at accept
  std::uint64_t refused_by_audit = 0;      // commands refused while a fail_closed sink is behind
  std::uint64_t bans = 0;  // AUTH outcomes the admission gate refused: the client is banned
  // Admission refusals (connections and commands) by the limit that refused them.
  std::map<std::string, std::uint64_t, std::less<>> admission_denials;
};

// How many distinct limits admission_denials keeps; refusals under further names count as
// "other", so a plugin cannot grow the map without bound.
inline constexpr std::size_t kMaxAdmissionLimits = 32;

// Counts one refusal under `limit` ("unnamed" when empty).
inline void count_admission_denial(SecurityStats& stats, std::string_view limit) {
  if (limit.empty()) limit = "unnamed";
  auto found = stats.admission_denials.find(limit);
  if (found == stats.admission_denials.end()) {
    if (stats.admission_denials.size() >= kMaxAdmissionLimits) limit = "other";
    found = stats.admission_denials.try_emplace(std::string(limit), 0).first;
  }
  ++found->second;
}

// Counters of the network thread (plain integers: only it writes and reads them) and the
// commit latency histogram (readable from any thread).
struct ServerStats {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::uint64_t connections_received = 0;
  std::uint64_t connections_rejected = 0;
  std::uint64_t connected_clients = 0;
  std::uint64_t commands_processed = 0;
  std::uint64_t write_batches = 0;
  std::uint64_t writes_applied = 0;
  std::uint64_t protocol_errors = 0;
  std::uint64_t expired_keys = 0;  // erased by this server's active expiry while leader
  SecurityStats security;
  // From a batch's hand-off to the write path to its replies (replicated, fsynced, applied).
  util::LatencyHistogram commit_latency;
};

// A plugin the node loaded, for INFO security: its [[plugin]] name, the provider's own name
// and version, and its kinds ("authenticator, admission").
struct LoadedPlugin {
  std::string name;
  std::string provider;
  std::string version;
  std::string kinds;
};

class NodeContext {
 public:
  // `auth` is null when no authenticator is configured (every client is trusted).
  NodeContext(const config::Config& config, const storage::KvStore& kv, AuthGateway* auth,
              WallClock wall_clock = unix_time_ms)
      : config_(config),
        kv_(kv),
        auth_(auth),
        wall_clock_(std::move(wall_clock)),
        read_txn_(kv.env()) {}

  const config::Config& config() const { return config_; }
  const storage::KvStore& kv() const { return kv_; }
  ServerStats& stats() { return stats_; }
  CommandStats& command_stats() { return command_stats_; }
  AuthGateway* auth() { return auth_; }
  // Consensus as commands see it; null without one (reads then need no barrier).
  Cluster* cluster() { return cluster_; }
  void set_cluster(Cluster* cluster) { cluster_ = cluster; }
  // Every client connection, for CLIENT LIST and CLIENT KILL; null without a server.
  ClientRegistry* clients() { return clients_; }
  void set_clients(ClientRegistry* clients) { clients_ = clients; }
  // The audit seam, for INFO; null without an audit plugin.
  const AuditLog* audit() const { return audit_; }
  void set_audit(const AuditLog* audit) { audit_ = audit; }
  // The plugins loaded at start (a reload never changes the set).
  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
  void set_plugins(std::vector<LoadedPlugin> plugins) { plugins_ = std::move(plugins); }
  // KEEPDB.RELOAD's way to the node; null where the node cannot reload (tests).
  ConfigReload* reloader() { return reloader_; }
  void set_reloader(ConfigReload* reloader) { reloader_ = reloader; }

  // Where reads see the newest applied state: the state machine's open write window
  // (storage/write_window.h), set once before the first read; without one, read snapshots.
  void set_write_window(const storage::WriteWindow* window) { window_ = window; }
  // The window itself, for its commit counts and latency (INFO persistence, /metrics); null
  // until set.
  const storage::WriteWindow* write_window() const { return window_; }

  // What a read reads: the open write window's transaction, or else a read snapshot begun
  // on first use and released by end_read() (the network layer calls it after each batch of
  // commands, so later reads see later commits).
  MDB_txn* read_txn() {
    if (apply_txn_ != nullptr) return apply_txn_;
    if (window_ != nullptr) return window_->reader(read_txn_);
    read_txn_.begin();
    return read_txn_.get();
  }
  void end_read() {
    read_txn_.end();
    read_now_ = 0;
  }

  // "Now" for the current read snapshot: the later of this server's wall clock and the
  // state machine clock, so a key the log has treated as expired never reappears on a
  // server whose clock is behind the leader's. Fixed for the snapshot's lifetime.
  std::uint64_t now_ms() {
    if (apply_txn_ != nullptr) return apply_now_;
    if (read_now_ == 0) read_now_ = std::max(wall_clock_(), kv_.clock_ms(read_txn()));
    return read_now_;
  }
  // The record of `key` in database `db` of the read snapshot, unless it is absent or
  // expired.
  std::optional<storage::ValueView> lookup(storage::Db db, std::string_view key) {
    auto value = kv_.get(read_txn(), db, key);
    if (value && value->expires_at_ms != 0 && value->expired(now_ms())) return std::nullopt;
    return value;
  }

  // The reads of a transaction run inside the state machine's write transaction, at its
  // clock (transaction.h): from begin_apply_view() to end_apply_view(), read_txn() and
  // now_ms() are the apply's, so they see the transaction's own earlier writes.
  void begin_apply_view(MDB_txn* txn, std::uint64_t now_ms) {
    apply_txn_ = txn;
    apply_now_ = now_ms;
  }
  void end_apply_view() { apply_txn_ = nullptr; }

  std::uint64_t next_client_id() { return ++last_client_id_; }
  ScanCursors& scan_cursors() { return scan_cursors_; }

 private:
  const config::Config& config_;
  const storage::KvStore& kv_;
  AuthGateway* auth_;
  WallClock wall_clock_;
  Cluster* cluster_ = nullptr;
  ClientRegistry* clients_ = nullptr;
  const AuditLog* audit_ = nullptr;
  ConfigReload* reloader_ = nullptr;
  std::vector<LoadedPlugin> plugins_;
  const storage::WriteWindow* window_ = nullptr;
  storage::ReadTxn read_txn_;
  std::uint64_t read_now_ = 0;  // 0: not read yet in this snapshot
  MDB_txn* apply_txn_ = nullptr;  // set during a transaction's apply
  std::uint64_t apply_now_ = 0;
  ServerStats stats_;
  CommandStats command_stats_;
  std::uint64_t last_client_id_ = 0;
  // Cursor ids start at a value derived from the start time, so a cursor from before a
  // restart is unlikely to name a live one.
  ScanCursors scan_cursors_{kScanCursorCapacity,
                            static_cast<std::uint64_t>(stats_.started.time_since_epoch().count())};
  static constexpr std::size_t kScanCursorCapacity = 16384;
};

}  // namespace keepdb::commands
