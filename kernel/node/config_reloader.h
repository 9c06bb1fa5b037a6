// The node's run-time configuration changes. CONFIG SET replaces the run-time limits
// (logged, never written to the file). The reload, behind SIGHUP and KEEPDB.RELOAD,
// re-reads the file the node started from, refuses a change that needs a restart (config/reload_diff.h), has the
// plugin host replace the plugins that changed (plugin_host/plugin_set.h), then applies the
// run-time settings. All of it or nothing: a parse error, a setting that needs a restart or
// a plugin whose create() fails keeps the running configuration and every instance. Each
// reload is logged (INFO when applied, ERROR with the reason when not) and recorded as one
// config_reload audit event with its outcome. The instances a reload replaced are destroyed
// here, on the network thread, once their in-flight calls have returned (polled).
//
// Thread-safety: reload() and set_limits() run on the network thread only (the signal
// handler and the commands run there), which serializes them and makes the limits they
// change safe for the connections that read them. Lifetime: everything passed in must outlive this.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "kernel/commands/audit.h"
#include "kernel/commands/config_reload.h"
#include "kernel/config/config.h"
#include "kernel/plugin_host/log_sink.h"
#include "kernel/plugin_host/plugin_set.h"

namespace keepdb::node {

class ConfigReloader final : public commands::ConfigReload {
 public:
  // `running` is the configuration the node reads its run-time settings from; `audit` is
  // null without an audit plugin.
  ConfigReloader(boost::asio::io_context& network, config::Config& running,
                 plugin_host::PluginSet& plugins, plugin_host::LiveSeams seams,
                 plugin_host::LogSink& log, commands::AuditLog* audit)
      : running_(running),
        plugins_(plugins),
        seams_(seams),
        log_(log),
        audit_(audit),
        drain_timer_(network) {}

  std::optional<std::string> reload(const commands::ReloadOrigin& origin) override;
  void set_limits(const config::Limits& limits, const std::string& change,
                  const commands::ReloadOrigin& origin) override;

 private:
  // Logs and records the outcome; returns the client's error for a failure.
  std::optional<std::string> report(const commands::ReloadOrigin& origin,
                                    const std::optional<std::string>& failure,
                                    const std::string& applied);
  // Destroys the replaced instances that have drained; polls again while some have not.
  void destroy_drained();

  config::Config& running_;
  plugin_host::PluginSet& plugins_;
  plugin_host::LiveSeams seams_;
  plugin_host::LogSink& log_;
  commands::AuditLog* audit_;
  boost::asio::steady_timer drain_timer_;
};

}  // namespace keepdb::node
