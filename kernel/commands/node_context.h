// What immediate (non-proposed) commands may see of the node: the key-value store through
// a read snapshot, server statistics, limits, and identity. The network layer owns the
// concrete object and hands a reference to every command.
//
// Thread-safety: used only on the network thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "kernel/commands/auth_gateway.h"
#include "kernel/commands/cluster.h"
#include "kernel/commands/scan_cursors.h"
#include "kernel/config/config.h"
#include "storage/kv_store.h"

namespace keepdb::commands {

struct ServerStats {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::uint64_t connections_received = 0;
  std::uint64_t connections_rejected = 0;
  std::uint64_t connected_clients = 0;
  std::uint64_t commands_processed = 0;
  std::uint64_t write_batches = 0;
  std::uint64_t writes_applied = 0;
  std::uint64_t protocol_errors = 0;
};

class NodeContext {
 public:
  // `auth` is null when no authenticator is configured (every client is trusted).
  NodeContext(const config::Config& config, const storage::KvStore& kv, AuthGateway* auth)
      : config_(config), kv_(kv), auth_(auth), read_txn_(kv.env()) {}

  const config::Config& config() const { return config_; }
  const storage::KvStore& kv() const { return kv_; }
  ServerStats& stats() { return stats_; }
  AuthGateway* auth() { return auth_; }
  // Consensus as commands see it; null without one (reads then need no barrier).
  Cluster* cluster() { return cluster_; }
  void set_cluster(Cluster* cluster) { cluster_ = cluster; }

  // A read snapshot, begun on first use and released by end_read() (the network layer
  // calls it after each batch of commands, so later reads see later commits).
  MDB_txn* read_txn() {
    read_txn_.begin();
    return read_txn_.get();
  }
  void end_read() { read_txn_.end(); }

  std::uint64_t next_client_id() { return ++last_client_id_; }
  ScanCursors& scan_cursors() { return scan_cursors_; }

 private:
  const config::Config& config_;
  const storage::KvStore& kv_;
  AuthGateway* auth_;
  Cluster* cluster_ = nullptr;
  storage::ReadTxn read_txn_;
  ServerStats stats_;
  std::uint64_t last_client_id_ = 0;
  // Cursor ids start at a value derived from the start time, so a cursor from before a
  // restart is unlikely to name a live one.
  ScanCursors scan_cursors_{kScanCursorCapacity,
                            static_cast<std::uint64_t>(stats_.started.time_since_epoch().count())};
  static constexpr std::size_t kScanCursorCapacity = 16384;
};

}  // namespace keepdb::commands
