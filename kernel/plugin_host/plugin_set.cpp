// Loads the [[plugin]] tables in order and sorts each instance into the seams of its kinds.
#include "kernel/plugin_host/plugin_set.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <utility>

#include "kernel/plugin_host/library_loader.h"
#include "kernel/plugin_host/plugin_authenticator.h"
#include "kernel/plugin_host/plugin_error.h"

namespace keepdb::plugin_host {

std::string kind_names(std::uint32_t kinds) {
  static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
      {KDB_KIND_AUTHENTICATOR, "authenticator"},
      {KDB_KIND_TRANSPORT, "transport"},
      {KDB_KIND_ADMISSION, "admission"},
      {KDB_KIND_AUDIT, "audit"}};
  std::string names;
  for (const auto& [bit, name] : kNames) {
    if ((kinds & bit) == 0) continue;
    names += (names.empty() ? "" : ", ") + std::string(name);
    kinds &= ~bit;
  }
  if (kinds != 0) {
    char unknown[16];
    std::snprintf(unknown, sizeof unknown, "0x%x", kinds);
    names += (names.empty() ? "" : ", ") + std::string(unknown);
  }
  return names;
}

namespace {

// How long a reload waits for the audit thread to leave a sink call.
constexpr std::chrono::milliseconds kAuditPauseTimeout{2000};

// Opens the library of `spec` with every check made at start (trusted file, sha256 pin,
// ABI, descriptor, fail_closed only on an audit sink). Throws PluginError.
const kdb_plugin_descriptor& open_checked(const config::Plugins& plugins,
                                          const config::PluginSpec& spec) {
  const std::filesystem::path path =
      spec.path.is_absolute() ? spec.path : plugins.dir / spec.path;
  const LibraryReport report = open_library(path, spec.sha256);
  const std::string where = "plugin '" + spec.name + "' (" + path.string() + "): ";
  if (report.status != LoadStatus::kOk) {
    throw PluginError(where + std::string(load_status_name(report.status)) + ": " + report.reason);
  }
  const std::uint32_t kinds = report.descriptor->kinds;
  if (spec.fail_closed && (kinds & KDB_KIND_AUDIT) == 0) {
    throw PluginError(where + "fail_closed is set, but the plugin is not of kind audit");
  }
  return *report.descriptor;
}

// Why `next` is not the same set of plugins as `running` (name, library, pin, order,
// fail_closed), or empty. The config diff reports these as needing a restart.
std::string set_change(const std::vector<config::PluginSpec>& running,
                       const config::Plugins& next) {
  if (running.size() != next.load.size()) {
    return "the number of [[plugin]] tables changed (" + std::to_string(running.size()) + " -> " +
           std::to_string(next.load.size()) + ")";
  }
  for (std::size_t i = 0; i < running.size(); ++i) {
    const config::PluginSpec& was = running[i];
    const config::PluginSpec& now = next.load[i];
    if (was.name != now.name || was.path != now.path || was.sha256 != now.sha256 ||
        was.fail_closed != now.fail_closed) {
      return "[[plugin]] '" + was.name + "' changed its name, path, sha256 or fail_closed";
    }
  }
  return {};
}

}  // namespace

PluginSet PluginSet::load(const config::Plugins& plugins, LogSink& log) {
  PluginSet set;
  for (const config::PluginSpec& spec : plugins.load) {
    const kdb_plugin_descriptor& descriptor = open_checked(plugins, spec);
    const std::uint32_t kinds = descriptor.kinds;
    auto instance = std::make_shared<PluginInstance>(spec.name, descriptor, spec.options,
                                                     plugins.config_dir, log);
    if ((kinds & KDB_KIND_AUTHENTICATOR) != 0) {
      set.authenticators_.push_back(std::make_shared<PluginAuthenticator>(instance));
    }
    if ((kinds & KDB_KIND_ADMISSION) != 0) set.admission_.push_back(instance);
    if ((kinds & KDB_KIND_AUDIT) != 0) set.audit_sinks_.push_back({instance, spec.fail_closed});
    if ((kinds & KDB_KIND_TRANSPORT) != 0) {
      set.transports_.push_back(std::make_shared<PluginTransport>(instance));
    }
    set.instances_.push_back(std::move(instance));
    set.specs_.push_back(spec);
    set.fingerprints_.push_back(option_fingerprint(descriptor, spec.options, plugins.config_dir));
  }
  return set;
}

std::vector<std::string> PluginSet::reload(const config::Plugins& next, LogSink& log,
                                           const LiveSeams& seams) {
  if (const std::string change = set_change(specs_, next); !change.empty()) {
    throw PluginError("restart required: " + change);
  }
  if (!seams.audit.pause(kAuditPauseTimeout)) {
    throw PluginError("the audit thread did not finish the records queued before the reload "
                      "within " + std::to_string(kAuditPauseTimeout.count()) +
                      " ms (a sink slow or stuck inside a call), so no sink can be replaced "
                      "now; try the reload again");
  }
  struct Resume {
    AuditQueue& audit;
    ~Resume() { audit.resume(); }
  } resume{seams.audit};

  // Create every replacement first: a failure throws here, before anything is swapped, and
  // the instances created so far are destroyed with `fresh`.
  std::vector<std::pair<std::size_t, std::shared_ptr<PluginInstance>>> fresh;
  std::vector<std::string> fingerprints = fingerprints_;
  for (std::size_t i = 0; i < next.load.size(); ++i) {
    const config::PluginSpec& spec = next.load[i];
    const kdb_plugin_descriptor& descriptor = open_checked(next, spec);
    fingerprints[i] = option_fingerprint(descriptor, spec.options, next.config_dir);
    if (fingerprints[i] == fingerprints_[i]) continue;
    fresh.emplace_back(i, std::make_shared<PluginInstance>(spec.name, descriptor, spec.options,
                                                           next.config_dir, log));
  }

  std::vector<std::string> replaced;
  for (auto& [index, instance] : fresh) {
    const std::uint32_t kinds = instance->descriptor().kinds;
    if ((kinds & KDB_KIND_AUTHENTICATOR) != 0) {
      auto adapter = std::make_shared<PluginAuthenticator>(instance);
      for (auto& authenticator : authenticators_) {
        if (authenticator->name() == instance->name()) authenticator = adapter;
      }
      seams.auth.replace(std::move(adapter));
    }
    if ((kinds & KDB_KIND_ADMISSION) != 0) {
      for (auto& admission : admission_) {
        if (admission->name() == instance->name()) admission = instance;
      }
      seams.admission.replace(instance);
    }
    if ((kinds & KDB_KIND_AUDIT) != 0) {
      for (auto& sink : audit_sinks_) {
        if (sink.instance->name() == instance->name()) sink.instance = instance;
      }
      seams.audit.replace(instance);
    }
    if ((kinds & KDB_KIND_TRANSPORT) != 0) {
      for (auto& transport : transports_) {
        if (transport->name() == instance->name()) transport->replace(instance);
      }
    }
    replaced.push_back(instance->name());
    retired_.push_back(std::exchange(instances_[index], std::move(instance)));
  }
  specs_ = next.load;
  fingerprints_ = std::move(fingerprints);
  return replaced;
}

std::size_t PluginSet::destroy_drained() {
  std::erase_if(retired_, [](const std::shared_ptr<PluginInstance>& instance) {
    // Held by the set alone: no call can take it again, and the last one has returned.
    if (instance.use_count() != 1) return false;
    std::atomic_thread_fence(std::memory_order_acquire);  // after that call's release
    return true;
  });
  return retired_.size();
}

std::shared_ptr<PluginTransport> PluginSet::transport(const std::string& name,
                                                      std::string_view user) const {
  for (const auto& transport : transports_) {
    if (transport->name() == name) return transport;
  }
  const bool exists = std::any_of(instances_.begin(), instances_.end(),
                                  [&](const auto& instance) { return instance->name() == name; });
  throw PluginError(std::string(user) + " = \"" + name + "\": " +
                    (exists ? "that [[plugin]] is not of kind transport"
                            : "no [[plugin]] table has that name"));
}

void PluginSet::require_transports_used(const std::vector<std::string>& used) const {
  for (const auto& transport : transports_) {
    if (std::find(used.begin(), used.end(), transport->name()) != used.end()) continue;
    throw PluginError(transport->label() +
                      " is of kind transport, but no listener names it ([client] transport = \"" +
                      transport->name() + "\" or [cluster] transport = \"" + transport->name() +
                      "\"); a transport loaded but never called protects nothing");
  }
}

std::shared_ptr<PluginTransport> PluginSet::client_transport(const config::Config& config) const {
  const std::string& name = config.client.transport;
  auto used = name.empty() ? nullptr : transport(name, "client.transport");
  const std::string& cluster = config.cluster.transport;
  if (!cluster.empty()) transport(cluster, "cluster.transport");  // exists, of kind transport
  require_transports_used({name, cluster});
  return used;
}

}  // namespace keepdb::plugin_host
