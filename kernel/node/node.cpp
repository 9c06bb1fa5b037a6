// Node assembly and lifecycle: start-up, signal handling, graceful shutdown.
#include "kernel/node/node.h"

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "kernel/commands/node_context.h"
#include "kernel/consensus/group_commit.h"
#include "kernel/consensus/local_sink.h"
#include "kernel/log/log.h"
#include "kernel/net/server.h"
#include "kernel/node/kernel_log_sink.h"
#include "kernel/node/plugin_auth_gateway.h"
#include "kernel/plugin_host/auth_chain.h"
#include "kernel/plugin_host/plugin_set.h"
#include "kernel/version.h"
#include "storage/data_dir.h"
#include "storage/kv_store.h"

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

}  // namespace

int run(const config::Config& config) {
  std::signal(SIGPIPE, SIG_IGN);
  try {
    storage::prepare_data_dir(config.storage.data_dir);
    const auto kv_dir = config.storage.data_dir / "kv";
    storage::prepare_private_subdir(kv_dir);
    storage::Env env(kv_dir, {.map_size_bytes = config.storage.map_size_bytes, .max_dbs = 4});
    storage::KvStore kv(env);
    raise_fd_limit(config.limits.max_connections);

    boost::asio::io_context io(1);
    KernelLogSink plugin_log;
    const auto plugins = plugin_host::PluginSet::load(config.plugins, plugin_log);
    plugin_host::AuthChain auth_chain(plugins.authenticators(), {}, plugin_log);
    PluginAuthGateway auth_gateway(io, auth_chain);
    commands::NodeContext node(config, kv, auth_chain.empty() ? nullptr : &auth_gateway);
    consensus::LocalSink sink(io, kv, config.limits.max_bulk_bytes);
    consensus::GroupCommit write_path(io, sink, node.stats());
    net::Server server(io, node, write_path);
    const auto endpoint = server.start();

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& error, int signal) {
      if (error) return;
      log::info("received ", signal == SIGTERM ? "SIGTERM" : "SIGINT", ", shutting down");
      signals.async_wait([&](const boost::system::error_code& again, int) {
        if (again) return;
        log::warn("second signal: stopping without waiting for clients");
        io.stop();
      });
      server.stop([&] { write_path.drain([&] { io.stop(); }); });
    });

    if (auth_chain.empty()) {
      log::warn("no authenticator configured: every client has every role");
    }
    log::info("keepd ", kVersion, " node ", config.node_id, " ready: clients on ",
              endpoint.address().to_string(), ":", endpoint.port(), ", data in ",
              config.storage.data_dir.string());
    io.run();
    log::info("stopped cleanly");
    return 0;
  } catch (const std::exception& e) {
    log::error("cannot run: ", e.what());
    return 1;
  }
}

}  // namespace keepdb::node
