// Node assembly and lifecycle: start-up, signal handling, graceful shutdown.
#include "kernel/node/node.h"

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <functional>
#include <memory>
#include <stdexcept>

#include "kernel/commands/node_context.h"
#include "kernel/node/expiry_sweeper.h"
#include "kernel/consensus/write/forward_service.h"
#include "kernel/consensus/write/forwarder.h"
#include "kernel/consensus/write/group_commit.h"
#include "kernel/consensus/fsm/kv_fsm.h"
#include "kernel/consensus/peer/member_address.h"
#include "kernel/consensus/raft/raft_node.h"
#include "kernel/consensus/write/raft_node_replica.h"
#include "kernel/consensus/write/raft_sink.h"
#include "kernel/consensus/write/read_barrier.h"
#include "kernel/consensus/peer/tcp_peer_transport.h"
#include "kernel/log/log.h"
#include "kernel/net/server.h"
#include "kernel/node/cluster_service.h"
#include "kernel/node/config_reloader.h"
#include "kernel/node/kernel_log_sink.h"
#include "kernel/node/operator_pages.h"
#include "kernel/node/plugin_auth_gateway.h"
#include "kernel/node/plugin_seams.h"
#include "kernel/plugin_host/auth_chain.h"
#include "kernel/plugin_host/plugin_set.h"
#include "util/asio_executor.h"
#include "util/io_threads.h"
#include "util/transport_session.h"
#include "util/version.h"
#include "storage/data_dir.h"
#include "storage/kv_store.h"
#include "storage/raft_log_store.h"

namespace keepdb::node {
namespace {

// File descriptors: one per connection plus LMDB and listeners. Raise the soft limit to
// the hard one and warn when max_connections cannot be honoured.
void raise_fd_limit(std::uint32_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  constexpr rlim_t kReserved = 64;
  if (limit.rlim_cur != RLIM_INFINITY && max_connections + kReserved > limit.rlim_cur) {
    log::warn("limits.max_connections = ", max_connections, " exceeds what the open-file limit (",
              limit.rlim_cur, ") allows; connections beyond it will fail to be accepted");
  }
}

// How long a follower waits for the leader's answer to a forwarded request, and a read for
// its round.
constexpr auto kForwardTimeout = std::chrono::seconds(10);
constexpr auto kReadTimeout = std::chrono::seconds(5);

std::string client_address(const config::Config& config) {
  return config.client.host + ":" + std::to_string(config.client.port);
}

// This server's raft settings from [cluster]: its own address, the initial voters, and
// log compaction.
// Without members the cluster is this node alone (a one-voter cluster).
consensus::RaftNodeOptions raft_options(const config::Config& config) {
  consensus::RaftNodeOptions options;
  options.id = config.node_id;
  options.bootstrap = config.cluster.bootstrap;
  options.snapshot_threshold = config.cluster.snapshot_threshold;
  options.snapshot_trailing = config.cluster.snapshot_trailing;
  options.snapshot_threshold_bytes = config.cluster.snapshot_threshold_bytes;
  const auto& members = config.cluster.members;
  const auto self = std::find_if(members.begin(), members.end(),
                                 [&](const auto& member) { return member.id == config.node_id; });
  if (self != members.end()) {
    options.address = consensus::encode_member_address({self->peer_address, self->client_address});
  } else {
    if (!members.empty() && config.cluster.bootstrap) {
      throw std::runtime_error("node_id " + std::to_string(config.node_id) +
                               " is not one of the [[cluster.member]] entries it bootstraps");
    }
    options.address = consensus::encode_member_address(
        {config.cluster.peer_host + ":" + std::to_string(config.cluster.peer_port),
         client_address(config)});
  }
  for (const auto& member : members) {
    options.members.push_back(
        {member.id, consensus::encode_member_address({member.peer_address, member.client_address}),
         RAFT_VOTER});
  }
  if (members.empty()) options.members.push_back({config.node_id, options.address, RAFT_VOTER});
  return options;
}

// The cluster secret of [cluster] secret_file, or none when the operator accepted running a
// loopback peer listener without one (the configuration loader allows nothing else).
std::shared_ptr<const consensus::ClusterSecret> load_cluster_secret(const config::Config& config) {
  if (config.cluster.secret_file.empty()) {
    if (config.cluster.peer_port != 0) {
      log::warn("no cluster.secret_file: peers are not authenticated (accepted risk '",
                config::kNoPeerSecretRisk, "'); the peer listener is on loopback only");
    }
    return std::make_shared<const consensus::ClusterSecret>();
  }
  return std::make_shared<const consensus::ClusterSecret>(
      consensus::ClusterSecret::load(config.cluster.secret_file));
}

std::unique_ptr<storage::RaftLogStore> open_raft_log(const config::Config& config) {
  const auto& log_dir = config.storage.log_dir;
  // A log on its own disk gets the data dir's checks (storage/data_dir.h).
  if (config.storage.log_dir_of_its_own()) storage::prepare_data_dir(log_dir);
  std::unique_ptr<storage::RaftLogStore> store;
  const util::IoStatus status = storage::RaftLogStore::open(
      {.directory = log_dir,
       .segment_bytes = storage::segment_bytes_for(config.cluster.snapshot_threshold_bytes)},
      store);
  if (!status.ok()) {
    throw std::runtime_error("cannot open the raft log in " + log_dir.string() + ": " +
                             status.message);
  }
  return store;
}

// What INFO security lists of the plugins loaded at start.
std::vector<commands::LoadedPlugin> loaded_plugins(const plugin_host::PluginSet& plugins) {
  std::vector<commands::LoadedPlugin> loaded;
  for (const auto& instance : plugins.instances()) {
    const kdb_plugin_descriptor& descriptor = instance->descriptor();
    loaded.push_back({instance->name(), descriptor.name, descriptor.version,
                      plugin_host::kind_names(descriptor.kinds)});
  }
  return loaded;
}

// A cluster transport opens sessions in both roles: accepted peer connections and dialled
// links. One that cannot (a TLS server without mutual TLS, a TLS client instance) stops the
// start with its reason.
void require_both_roles(util::Transport& transport) {
  std::string error;
  util::TransportPeer probe;
  probe.peer_addr = "127.0.0.1";
  for (const bool dialed : {false, true}) {
    probe.dialed = dialed;
    if (!transport.open(probe, error)) {
      throw std::runtime_error("cluster.transport: " + error);
    }
  }
}

}  // namespace

int run(const config::Config& config) {
  std::signal(SIGPIPE, SIG_IGN);
  // Until the reload handler is installed below, a SIGHUP must not end the process.
  std::signal(SIGHUP, SIG_IGN);
  try {
    storage::prepare_data_dir(config.storage.data_dir);
    const auto kv_dir = config.storage.data_dir / "kv";
    storage::prepare_private_subdir(kv_dir);
    // MDB_NOMETASYNC: the file is the state, intact after an OS crash; kv_fsm.h explains.
    storage::Env env(kv_dir, {.map_size_bytes = config.storage.map_size_bytes,
                              .max_dbs = 4,
                              .extra_flags = MDB_NOMETASYNC});
    storage::KvStore kv(env);
    const auto raft_log = open_raft_log(config);
    raise_fd_limit(config.limits.max_connections);

    boost::asio::io_context io(1);
    KernelLogSink plugin_log;
    auto plugins = plugin_host::PluginSet::load(config.plugins, plugin_log);
    // The seams: each null unless a plugin of its kind is configured.
    plugin_host::AdmissionChain admission_chain(plugins.admission(), plugin_log);
    PluginAdmissionGate admission_gate(admission_chain);
    plugin_host::AuditQueue audit_queue(plugins.audit_sinks(), config.plugins.audit_queue,
                                        plugin_log);
    PluginAuditLog audit_log(audit_queue, config.node_id);
    const auto client_transport = plugins.client_transport(config);
    const auto cluster_transport =
        config.cluster.transport.empty()
            ? nullptr
            : plugins.transport(config.cluster.transport, "cluster.transport");
    const net::Seams seams{admission_chain.empty() ? nullptr : &admission_gate,
                           audit_queue.empty() ? nullptr : &audit_log, client_transport.get()};
    plugin_host::AuthChain auth_chain(plugins.authenticators(),
                                      {.deadline = config.plugins.auth_deadline}, plugin_log);
    PluginAuthGateway auth_gateway(io, auth_chain, seams);
    // What the node reads its run-time settings from: a reload changes it, on this thread.
    config::Config running = config;
    commands::NodeContext node(running, kv, auth_chain.empty() ? nullptr : &auth_gateway);
    node.set_audit(seams.audit);
    node.set_plugins(loaded_plugins(plugins));
    auth_gateway.count_in(node.stats().security);

    // Consensus: every write, even on a single node, is one Raft entry per batch.
    const consensus::RaftNodeOptions options = raft_options(config);
    consensus::RaftNode* raft_node = nullptr;  // set below; the transport asks it who is a member
    consensus::TcpPeerOptions peer_options;
    peer_options.self_id = config.node_id;
    peer_options.cluster_id = config.cluster.id;
    peer_options.secret = load_cluster_secret(config);
    if (cluster_transport) {
      require_both_roles(*cluster_transport);
      peer_options.transport = cluster_transport;
      peer_options.member_identity = [&members = config.cluster.members](raft_id id) {
        const auto member = std::find_if(members.begin(), members.end(),
                                         [id](const auto& candidate) { return candidate.id == id; });
        return member != members.end() ? member->identity : std::string();
      };
    }
    peer_options.member_address = [&options, &raft_node](raft_id id) {
      if (raft_node != nullptr && raft_node->is_member(id)) return raft_node->address_of(id);
      // Before raft has a configuration (a joining node): the configured members.
      const auto& members = options.members;
      const auto member = std::find_if(members.begin(), members.end(),
                                       [id](const auto& candidate) { return candidate.id == id; });
      return member != members.end() ? member->address : std::string();
    };
    consensus::TcpPeerTransport transport(io, std::move(peer_options));
    if (config.cluster.peer_port != 0) {
      transport.listen(config.cluster.peer_host, config.cluster.peer_port);
    }
    consensus::KvFsm fsm(env, kv, config.limits.max_bulk_bytes, config.storage.databases,
                         config.storage.commit_interval);
    fsm.set_node_context(&node);
    node.set_write_window(&fsm.window());
    consensus::RaftNode raft(io, *raft_log, transport, fsm, options);
    raft_node = &raft;
    util::AsioExecutor network(io);  // the write path's posts and timers
    consensus::RaftNodeReplica replica(raft);
    consensus::Forwarder forwarder(network, transport, replica, kForwardTimeout);
    consensus::RaftSink sink(network, replica, forwarder);
    consensus::GroupCommit write_path(network, sink, node.stats(), config.storage.databases,
                                      config.limits.max_bulk_bytes);
    consensus::ReadBarrier reads(network, replica, forwarder, kReadTimeout);
    consensus::ForwardService forward_service(transport, replica, write_path, reads);
    forward_service.set_audit(seams.audit);
    node::ExpirySweeper expiry(network, kv, fsm.window(), replica, write_path, node.stats(), {});
    transport.set_forward_receiver(
        [&](raft_id from, consensus::FrameType type, std::vector<std::uint8_t> body) {
          if (type == consensus::FrameType::kForward) {
            forward_service.on_request(from, body);
          } else {
            forwarder.on_reply(from, body);
          }
        });
    ClusterService cluster(io, raft, reads);
    node.set_cluster(&cluster);
    // Before the server, so it stops after it: its threads join, and the operations still
    // queued on them are dropped, before the plugins their transport sessions use unload.
    util::IoThreads io_threads(config.client.io_threads);
    net::Server server(io, node, write_path, seams, &io_threads);
    const auto endpoint = server.start();  // before raft starts: a busy port fails first
    ops::HttpListener operator_http(io);
    if (config.operator_listener.port != 0) {
      const MetricSources sources{node, cluster, *raft_log,
                                  auth_chain.empty() ? nullptr : &auth_chain,
                                  admission_chain.empty() ? nullptr : &admission_chain,
                                  audit_queue.empty() ? nullptr : &audit_queue};
      operator_http.add_page("/metrics", [sources] { return metrics_page(sources); });
      operator_http.add_page("/health", [&cluster] { return health_page(cluster); });
      const auto bound =
          operator_http.listen(config.operator_listener.host, config.operator_listener.port);
      log::info("operator listener on ", bound.address().to_string(), ":", bound.port(),
                " (GET /metrics, /health)");
    }
    raft.start();
    expiry.start();

    ConfigReloader reloader(io, running, plugins, {auth_chain, admission_chain, audit_queue},
                            plugin_log, seams.audit);
    node.set_reloader(&reloader);
    boost::asio::signal_set hangups(io, SIGHUP);
    std::function<void()> await_hangup = [&] {
      hangups.async_wait([&](const boost::system::error_code& error, int) {
        if (error) return;
        reloader.reload({"SIGHUP", 0, {}, {}});
        await_hangup();
      });
    };
    await_hangup();

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& error, int signal) {
      if (error) return;
      log::info("received ", signal == SIGTERM ? "SIGTERM" : "SIGINT", ", shutting down");
      signals.async_wait([&](const boost::system::error_code& again, int) {
        if (again) return;
        log::warn("second signal: stopping without waiting for clients");
        io.stop();
      });
      expiry.stop();
      hangups.cancel();
      operator_http.stop();
      server.stop([&] {
        write_path.drain([&] {
          raft.close([&] {
            if (!fsm.checkpoint()) {  // what it cannot commit, the log replays at the next start
              log::warn("could not commit the last applied writes to the key-value store (",
                        fsm.failure().message, "); the next start replays them from the log");
            }
            transport.close();
            io.stop();
          });
        });
      });
    });

    if (auth_chain.empty()) {
      log::warn("no authenticator configured: every client has every role");
    }
    if (seams.audit != nullptr) {
      for (const std::string& risk : config.security.accept_risks) {
        seams.audit->record({commands::AuditKind::kAcceptedRisk,
                             0,
                             {},
                             {},
                             "accepted_risk",
                             "accepted",
                             "[security] accept_risks names " + risk});
      }
    }
    log::info("keepd ", kVersion, " node ", config.node_id, " ready: clients on ",
              endpoint.address().to_string(), ":", endpoint.port(),
              io_threads.size() > 0
                  ? " (sockets on " + std::to_string(io_threads.size()) + " I/O threads)"
                  : std::string(),
              ", data in ", config.storage.data_dir.string(),
              config.storage.log_dir_of_its_own()
                  ? ", raft log in " + config.storage.log_dir.string()
                  : std::string());
    io.run();
    log::info("stopped cleanly");
    return 0;
  } catch (const std::exception& e) {
    log::error("cannot run: ", e.what());
    return 1;
  }
}

}  // namespace keepdb::node
