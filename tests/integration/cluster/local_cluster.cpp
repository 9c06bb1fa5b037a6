// LocalCluster: configs, processes and polling for a loopback keepd cluster.
#include "tests/integration/cluster/local_cluster.h"

#include <csignal>
#include <filesystem>
#include <random>
#include <string_view>
#include <stdexcept>

#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/server_start.h"

namespace keepdb::integration {

namespace {

// 64 random hex characters in a file only its owner can read, as keepd requires.
void write_secret(const std::filesystem::path& path) {
  std::random_device random;
  std::string secret;
  for (int i = 0; i < 64; ++i) secret += "0123456789abcdef"[random() % 16];
  write_file(path, secret + "\n");
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write);
}

}  // namespace

LocalCluster::LocalCluster(unsigned nodes, IntegerKeys cluster_keys, const std::string& label,
                           std::set<unsigned> wrong_secret, RosterPort roster_port,
                           ExtraLines extra, Plugins plugins)
    : dir_(label),
      cluster_keys_(std::move(cluster_keys)),
      wrong_secret_(std::move(wrong_secret)),
      extra_(std::move(extra)),
      plugins_(std::move(plugins)) {
  nodes_.resize(nodes);
  if (extra_.before_start) extra_.before_start(dir_.path());
  write_secret(secret_path());
  for (unsigned node : wrong_secret_) write_secret(secret_path(node));
  // A port found free can be taken by a parallel test before keepd binds it; then the new
  // cluster starts over, data dirs wiped, on fresh ports.
  for (int attempt = 1;; ++attempt) {
    const std::vector<std::uint16_t> ports = free_ports(3 * nodes);  // no two nodes share one
    for (unsigned i = 0; i < nodes; ++i) {
      Node& node = nodes_[i];
      node.client_port = ports[3 * i];
      node.peer_port = ports[3 * i + 1];
      node.operator_port = ports[3 * i + 2];
      node.roster_peer_port = roster_port ? roster_port(i, node.peer_port) : node.peer_port;
    }
    for (unsigned i = 0; i < nodes; ++i) write_config(i);
    try {
      for (unsigned i = 0; i < nodes; ++i) start(i);
      return;
    } catch (const std::runtime_error& failure) {
      if (attempt == 3 || std::string_view(failure.what()).find(kPortTakenLogText) ==
                              std::string_view::npos) {
        throw;
      }
    }
    for (unsigned i = 0; i < nodes; ++i) {
      if (nodes_[i].process) nodes_[i].process->kill_now();
      std::filesystem::remove_all(dir_ / ("data" + std::to_string(i + 1)));
    }
  }
}

LocalCluster::~LocalCluster() {
  for (Node& node : nodes_) {
    if (node.process) node.process->kill_now();
  }
}

std::filesystem::path LocalCluster::config_path(unsigned node) const {
  return dir_ / ("node" + std::to_string(node + 1) + ".toml");
}

std::filesystem::path LocalCluster::log_path(unsigned node) const {
  return dir_ /
         ("node" + std::to_string(node + 1) + "." + std::to_string(nodes_[node].run) + ".log");
}

std::filesystem::path LocalCluster::secret_path(unsigned node) const {
  return wrong_secret_.contains(node) ? dir_ / ("wrong-secret" + std::to_string(node + 1))
                                      : secret_path();
}

std::string LocalCluster::log(unsigned node) const {
  return read_file(log_path(node));
}

bool LocalCluster::running(unsigned node) {
  return nodes_[node].process && nodes_[node].process->running();
}

void LocalCluster::write_config(unsigned node) const {
  std::string text = "node_id = " + std::to_string(node + 1) + "\n";
  text += "[storage]\ndata_dir = \"data" + std::to_string(node + 1) + "\"\n";
  text += "map_size_bytes = 268435456\n";
  if (nodes_[node].databases != 0) {
    text += "databases = " + std::to_string(nodes_[node].databases) + "\n";
  }
  text +=
      "[client]\nhost = \"127.0.0.1\"\nport = " + std::to_string(nodes_[node].client_port) + "\n";
  text += "[operator]\nport = " + std::to_string(nodes_[node].operator_port) + "\n";
  text += "[cluster]\nid = \"test-cluster\"\npeer_host = \"127.0.0.1\"\n";
  text += "secret_file = \"" + secret_path(node).string() + "\"\n";
  text += "peer_port = " + std::to_string(nodes_[node].peer_port) + "\n";
  text += std::string("bootstrap = ") + (nodes_[node].bootstrap ? "true" : "false") + "\n";
  text += render_keys(cluster_keys_);
  if (extra_.cluster) text += extra_.cluster(node);
  for (unsigned m = 0; m < nodes_.size(); ++m) {
    if (!nodes_[m].bootstrap && m != node) continue;  // joiners are not initial members
    text += "[[cluster.member]]\nid = " + std::to_string(m + 1) + "\n";
    text += "peer = \"127.0.0.1:" + std::to_string(nodes_[m].roster_peer_port) + "\"\n";
    text += "client = \"127.0.0.1:" + std::to_string(nodes_[m].client_port) + "\"\n";
    if (extra_.member) text += extra_.member(m);
  }
  if (plugins_.tables) {
    const std::vector<PluginTable> tables = plugins_.tables(node);
    fill_plugin_dir(dir_ / "plugins", tables);
    text += render_plugin_tables(dir_ / "plugins", tables);
  }
  if (extra_.tail) text += extra_.tail(node);
  write_file(config_path(node), text);
}

void LocalCluster::start(unsigned node) {
  Node& n = nodes_[node];
  ++n.run;
  n.process = std::make_unique<ChildProcess>(
      std::vector<std::string>{keepd_binary().string(), "run", "--config",
                               config_path(node).string()},
      Redirects{.stderr_path = log_path(node)});
  const std::string ready = "ready: clients on 127.0.0.1:" + std::to_string(n.client_port);
  if (!poll_until(
          [&] { return !n.process->running() || log(node).find(ready) != std::string::npos; },
          kStartTimeout) ||
      !n.process->running()) {
    throw std::runtime_error("node " + std::to_string(node + 1) + " did not start:\n" + log(node));
  }
}

ExitStatus LocalCluster::stop(unsigned node) {
  Node& n = nodes_[node];
  n.process->send_signal(SIGTERM);
  if (auto status = n.process->wait(kStopTimeout)) return *status;
  return n.process->kill_now();
}

ExitStatus LocalCluster::kill9(unsigned node) {
  return nodes_[node].process->kill_now();
}

unsigned LocalCluster::start_joining_node(
    const std::function<std::uint16_t(std::uint16_t)>& roster_port) {
  Node joining;
  const std::vector<std::uint16_t> ports = free_ports(3);
  joining.client_port = ports[0];
  joining.peer_port = ports[1];
  joining.operator_port = ports[2];
  joining.roster_peer_port = roster_port ? roster_port(joining.peer_port) : joining.peer_port;
  joining.bootstrap = false;
  nodes_.push_back(std::move(joining));
  const auto node = static_cast<unsigned>(nodes_.size() - 1);
  write_config(node);
  start(node);
  return node;
}

std::string LocalCluster::info(unsigned node, const std::string& field) const {
  try {
    RawClient client(nodes_[node].client_port);
    if (!plugins_.auth.empty()) {
      std::vector<std::string> auth{"AUTH"};
      auth.insert(auth.end(), plugins_.auth.begin(), plugins_.auth.end());
      if (client.command(auth, 2s).is_error()) return {};
    }
    const RespValue reply = client.command({"INFO", "replication"}, 2s);
    const std::string key = "\r\n" + field + ":";
    const auto at = reply.text.find(key);
    if (at == std::string::npos) return {};
    const auto begin = at + key.size();
    return reply.text.substr(begin, reply.text.find("\r\n", begin) - begin);
  } catch (const std::exception&) {
    return {};
  }
}

int LocalCluster::wait_for_leader(milliseconds timeout) {
  int leader = -1;
  const bool found = poll_until(
      [&] {
        leader = -1;
        for (unsigned i = 0; i < nodes_.size() && leader < 0; ++i) {
          if (running(i) && info(i, "keepdb_role") == "leader" &&
              info(i, "keepdb_leader_ready") == "1") {
            leader = static_cast<int>(i);
          }
        }
        if (leader < 0) return false;
        // A node that started after the election hears of the leader with its first append.
        const std::string leader_id = std::to_string(id(static_cast<unsigned>(leader)));
        for (unsigned i = 0; i < nodes_.size(); ++i) {
          if (running(i) && info(i, "keepdb_leader_id") != leader_id) return false;
        }
        return true;
      },
      timeout, 20ms);
  return found ? leader : -1;
}

bool LocalCluster::wait_applied(unsigned node, std::uint64_t index, milliseconds timeout) {
  return poll_until(
      [&] {
        const std::string applied = info(node, "keepdb_applied_index");
        return !applied.empty() && std::stoull(applied) >= index;
      },
      timeout, 20ms);
}

RespValue transfer_leadership(const LocalCluster& cluster, unsigned node,
                              std::optional<std::uint64_t> id) {
  RawClient client(cluster.client_port(node));
  std::vector<std::string> command{"KEEPDB.TRANSFER"};
  if (id) command.push_back(std::to_string(*id));
  RespValue reply;
  poll_until(
      [&] {
        reply = client.command(command, 20s);
        return reply.text != "ERR leadership did not move; try again";
      },
      30s);
  return reply;
}

}  // namespace keepdb::integration
