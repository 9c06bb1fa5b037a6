// The TOML configuration the harness gives keepd: a node on 127.0.0.1, its data in a
// directory beside the config file, and whatever limits a test wants to make small; and the
// rendering of integer settings, which LocalCluster shares for its [cluster] keys.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace keepdb::integration {

// Path of the keepd under test (the build's own binary).
std::filesystem::path keepd_binary();

// Integer `key = value` settings of one table, in order.
using IntegerKeys = std::vector<std::pair<std::string, std::uint64_t>>;

// One "key = value" line per setting.
std::string render_keys(const IntegerKeys& keys);

struct KeepdSettings {
  // `label` names the temp dir, to tell nodes apart when KEEPDB_KEEP_TEST_DIRS=1 keeps them.
  explicit KeepdSettings(std::string label_ = "keepd") : label(std::move(label_)) {}
  // Sets a `[limits]` key, e.g. limit("max_bulk_bytes", 1024); unset keys keep defaults.
  KeepdSettings& limit(std::string key, std::uint64_t value) {
    limits.emplace_back(std::move(key), value);
    return *this;
  }
  // Sets a `[storage]` key besides data_dir, e.g. storage_key("commit_interval_ms", 1000).
  KeepdSettings& storage_key(std::string key, std::uint64_t value) {
    storage.emplace_back(std::move(key), value);
    return *this;
  }
  // Sets a `[cluster]` key, e.g. cluster_key("snapshot_threshold_bytes", 8 << 20).
  KeepdSettings& cluster_key(std::string key, std::uint64_t value) {
    cluster.emplace_back(std::move(key), value);
    return *this;
  }

  // Sets `[client] io_threads` (0: the default, sockets on the network thread).
  KeepdSettings& io_threads(unsigned count) {
    if (count > 0) client_lines += "io_threads = " + std::to_string(count) + "\n";
    return *this;
  }

  std::string label;
  // Extra `key = value` lines of the `[client]` table (e.g. `transport = "tls"`), verbatim.
  std::string client_lines;
  IntegerKeys limits;
  IntegerKeys storage;
  IntegerKeys cluster;
  // Further tables, verbatim, after all the others (e.g. "[operator]\nport = 9100\n").
  std::string extra_tables;
  std::string data_dir = "data";  // relative to the config file
  std::string log_dir;            // [storage] log_dir, relative to it; empty: the default
};

// The config file text for `settings` listening on `port`.
std::string render_config(const KeepdSettings& settings, std::uint16_t port);

}  // namespace keepdb::integration
