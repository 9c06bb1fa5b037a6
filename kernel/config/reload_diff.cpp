// The reload diff: settings fixed at start versus settings applied at run time.
#include "kernel/config/reload_diff.h"

#include <functional>

namespace keepdb::config {
namespace {

// A setting that only takes effect at start, and how to tell whether it changed.
struct FixedSetting {
  const char* name;
  std::function<bool(const Config&, const Config&)> same;
};

template <auto Section, auto Field>
std::function<bool(const Config&, const Config&)> same_field() {
  return [](const Config& a, const Config& b) { return (a.*Section).*Field == (b.*Section).*Field; };
}

// The plugin set without what a reload may change (options) or what moves harmlessly (the
// line of each header).
bool same_plugin_set(const Config& a, const Config& b) {
  if (a.plugins.load.size() != b.plugins.load.size()) return false;
  for (std::size_t i = 0; i < a.plugins.load.size(); ++i) {
    const PluginSpec& x = a.plugins.load[i];
    const PluginSpec& y = b.plugins.load[i];
    if (x.name != y.name || x.path != y.path || x.sha256 != y.sha256 ||
        x.fail_closed != y.fail_closed) {
      return false;
    }
  }
  return true;
}

const std::vector<FixedSetting>& fixed_settings() {
  static const std::vector<FixedSetting> settings = {
      {"node_id", [](const Config& a, const Config& b) { return a.node_id == b.node_id; }},
      {"storage.data_dir", same_field<&Config::storage, &Storage::data_dir>()},
      {"storage.log_dir", same_field<&Config::storage, &Storage::log_dir>()},
      {"storage.map_size_bytes", same_field<&Config::storage, &Storage::map_size_bytes>()},
      {"storage.databases", same_field<&Config::storage, &Storage::databases>()},
      {"storage.commit_interval_ms", same_field<&Config::storage, &Storage::commit_interval>()},
      {"client.host", same_field<&Config::client, &ClientListener::host>()},
      {"client.port", same_field<&Config::client, &ClientListener::port>()},
      {"client.io_threads", same_field<&Config::client, &ClientListener::io_threads>()},
      {"operator.host", same_field<&Config::operator_listener, &OperatorListener::host>()},
      {"operator.port", same_field<&Config::operator_listener, &OperatorListener::port>()},
      {"limits.max_bulk_bytes", same_field<&Config::limits, &Limits::max_bulk_bytes>()},
      {"limits.max_array_len", same_field<&Config::limits, &Limits::max_array_len>()},
      {"limits.max_inline_bytes", same_field<&Config::limits, &Limits::max_inline_bytes>()},
      {"limits.max_request_buffer_bytes",
       same_field<&Config::limits, &Limits::max_request_buffer_bytes>()},
      {"plugins.dir", same_field<&Config::plugins, &Plugins::dir>()},
      {"plugins.audit_queue", same_field<&Config::plugins, &Plugins::audit_queue>()},
      {"plugins.auth_deadline_ms", same_field<&Config::plugins, &Plugins::auth_deadline>()},
      {"the set of [[plugin]] tables (name, path, sha256, fail_closed, order)", same_plugin_set},
      {"cluster.id", same_field<&Config::cluster, &Cluster::id>()},
      {"cluster.secret_file", same_field<&Config::cluster, &Cluster::secret_file>()},
      {"cluster.peer_host", same_field<&Config::cluster, &Cluster::peer_host>()},
      {"cluster.peer_port", same_field<&Config::cluster, &Cluster::peer_port>()},
      {"cluster.transport", same_field<&Config::cluster, &Cluster::transport>()},
      {"cluster.bootstrap", same_field<&Config::cluster, &Cluster::bootstrap>()},
      {"cluster.member", same_field<&Config::cluster, &Cluster::members>()},
      {"cluster.snapshot_threshold", same_field<&Config::cluster, &Cluster::snapshot_threshold>()},
      {"cluster.snapshot_trailing", same_field<&Config::cluster, &Cluster::snapshot_trailing>()},
      {"cluster.snapshot_threshold_bytes",
       same_field<&Config::cluster, &Cluster::snapshot_threshold_bytes>()},
      {"security.level", same_field<&Config::security, &Security::level>()},
      {"security.accept_risks", same_field<&Config::security, &Security::accept_risks>()},
  };
  return settings;
}

}  // namespace

std::vector<std::string> restart_required(const Config& running, const Config& next) {
  std::vector<std::string> changed;
  for (const FixedSetting& setting : fixed_settings()) {
    if (!setting.same(running, next)) changed.emplace_back(setting.name);
  }
  if (!changed.empty()) return changed;
  // Whatever is left after the run-time settings are applied must be equal: a setting added
  // later and not listed above is refused, never half-applied.
  Config applied = running;
  apply_runtime(applied, next);
  if (!(applied == next)) changed.emplace_back("other settings");
  return changed;
}

void apply_runtime(Config& running, const Config& next) {
  Limits& limits = running.limits;
  limits.max_connections = next.limits.max_connections;
  limits.max_client_memory_bytes = next.limits.max_client_memory_bytes;
  limits.max_reply_buffer_bytes = next.limits.max_reply_buffer_bytes;
  limits.idle_timeout = next.limits.idle_timeout;
  limits.request_timeout = next.limits.request_timeout;
  limits.auth_timeout = next.limits.auth_timeout;
  limits.max_keys_visited = next.limits.max_keys_visited;
  limits.max_queued_commands = next.limits.max_queued_commands;
  limits.max_transaction_bytes = next.limits.max_transaction_bytes;
  limits.max_watched_keys = next.limits.max_watched_keys;
  running.plugins.load = next.plugins.load;
}

}  // namespace keepdb::config
