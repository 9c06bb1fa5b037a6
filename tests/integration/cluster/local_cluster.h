// LocalCluster: N real keepd processes forming one Raft cluster on loopback for a test:
// a private temp dir with one config, data dir and log per node, a cluster secret file
// (mode 0600) shared by every node, free client and peer
// ports (a new cluster starts over on fresh ones if a parallel test takes one first), and the operations the tests need: start, stop (SIGTERM), kill -9, restart on the
// same data, add a node that joins (bootstrap = false), find the ready leader, and read
// INFO replication fields. Nodes may load plugins (per-node [[plugin]] tables) and
// authenticate clients; the cluster's own INFO calls then AUTH first. Every wait polls with
// a deadline.
//
// Thread-safety: none; owned by one test thread (other threads only use the ports).
// Lifetime: the destructor SIGKILLs every node still running and removes the dir.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/plugin_tables.h"
#include "tests/integration/harness/resp_reader.h"
#include "tests/integration/harness/temp_dir.h"

namespace keepdb::integration {

class LocalCluster {
 public:
  // Writes the configs of `nodes` bootstrapping members and starts them all. Every node
  // (joiners too) gets `cluster_keys` in its [cluster] table, e.g. {{"snapshot_threshold", 32}}.
  // The nodes in `wrong_secret` get a secret file of their own instead of the cluster's.
  // `roster_port`, when set, gives the port the roster lists as a node's peer address (e.g. a
  // proxy in front of the node's real peer port, for partition tests).
  using RosterPort = std::function<std::uint16_t(unsigned node, std::uint16_t peer_port)>;
  // Extra config text of a node, each function optional: `cluster(node)` goes into its
  // [cluster] table, `member(m)` into the [[cluster.member]] table of member m, `tail(node)`
  // at the end (e.g. [[plugin]] tables). `before_start`, when set, runs once before the
  // first node starts (e.g. to write files the configs name).
  struct ExtraLines {
    std::function<std::string(unsigned node)> cluster;
    std::function<std::string(unsigned member)> member;
    std::function<std::string(unsigned node)> tail;
    std::function<void(const std::filesystem::path& dir)> before_start;
  };
  // Plugins of the nodes: `tables(node)` gives a node's [[plugin]] tables (their libraries
  // are copied into dir/plugins; relative paths in options resolve against dir), rendered
  // before ExtraLines::tail. `auth`, when not empty, is what the cluster's own calls (the
  // INFO of info(), wait_for_leader() and wait_applied()) send as AUTH first, for clusters
  // whose nodes authenticate clients.
  struct Plugins {
    std::function<std::vector<PluginTable>(unsigned node)> tables;
    std::vector<std::string> auth;
  };
  explicit LocalCluster(unsigned nodes, IntegerKeys cluster_keys = {},
                        const std::string& label = "cluster",
                        std::set<unsigned> wrong_secret = {}, RosterPort roster_port = {},
                        ExtraLines extra = {}, Plugins plugins = {});
  ~LocalCluster();

  unsigned size() const { return static_cast<unsigned>(nodes_.size()); }
  std::uint16_t client_port(unsigned node) const { return nodes_[node].client_port; }
  std::uint16_t peer_port(unsigned node) const { return nodes_[node].peer_port; }
  std::uint16_t operator_port(unsigned node) const { return nodes_[node].operator_port; }
  // The secret file the cluster's nodes share.
  std::filesystem::path secret_path() const { return dir_ / "cluster-secret"; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::uint64_t id(unsigned node) const { return node + 1; }
  bool running(unsigned node);
  pid_t pid(unsigned node) const { return nodes_[node].process->pid(); }
  std::string log(unsigned node) const;

  void start(unsigned node);  // (re)starts it on its own config and data dir
  // Writes `node`'s config again (after what the ExtraLines functions return changed).
  void rewrite_config(unsigned node) const { write_config(node); }
  // Sets `node`'s storage.databases (the next config written, e.g. by rewrite_config).
  void set_databases(unsigned node, unsigned databases) { nodes_[node].databases = databases; }
  ExitStatus stop(unsigned node);
  ExitStatus kill9(unsigned node);

  // Writes the config of a new node that joins the running cluster (not bootstrapped) and
  // starts it; returns its index. The cluster learns of it through KEEPDB.ADD, naming
  // roster_peer_port(node) as its peer port: `roster_port(peer_port)` when given (a proxy
  // in front of it), else its peer port.
  unsigned start_joining_node(const std::function<std::uint16_t(std::uint16_t)>& roster_port = {});
  std::uint16_t roster_peer_port(unsigned node) const { return nodes_[node].roster_peer_port; }

  // A field of INFO replication on `node`, "" when it cannot be read.
  std::string info(unsigned node, const std::string& field) const;
  // The index of the node that reports itself leader and ready once every running node
  // names it as leader, or -1 at the deadline.
  int wait_for_leader(milliseconds timeout = 20s);
  // Waits until `node` has applied at least `index`.
  bool wait_applied(unsigned node, std::uint64_t index, milliseconds timeout = 20s);

 private:
  struct Node {
    std::uint16_t client_port = 0;
    std::uint16_t peer_port = 0;
    std::uint16_t operator_port = 0;  // the operator HTTP listener (GET /metrics, /health)
    std::uint16_t roster_peer_port = 0;  // what the roster lists: peer_port or a proxy
    bool bootstrap = true;
    unsigned databases = 0;  // storage.databases; 0: the default
    int run = 0;
    std::unique_ptr<ChildProcess> process;
  };
  std::filesystem::path config_path(unsigned node) const;
  std::filesystem::path log_path(unsigned node) const;
  std::filesystem::path secret_path(unsigned node) const;
  void write_config(unsigned node) const;

  TempDir dir_;
  IntegerKeys cluster_keys_;
  std::set<unsigned> wrong_secret_;
  ExtraLines extra_;
  Plugins plugins_;
  std::vector<Node> nodes_;
};

// KEEPDB.TRANSFER [id] on `node`, repeated while it replies that leadership did not move:
// raft 0.15 sends its TimeoutNow once, and a follower busy persisting ignores it.
RespValue transfer_leadership(const LocalCluster& cluster, unsigned node,
                              std::optional<std::uint64_t> id);

}  // namespace keepdb::integration
