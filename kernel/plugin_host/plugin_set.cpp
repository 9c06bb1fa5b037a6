// Loads the [[plugin]] tables in order and sorts each instance into the seams of its kinds.
#include "kernel/plugin_host/plugin_set.h"

#include <cstdio>

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

std::string undriven_kinds_problem(std::uint32_t kinds) {
  const std::uint32_t undriven = kinds & ~kDrivenKinds;
  if (undriven == 0) return {};
  return "declares kind " + kind_names(undriven) +
         ", which this keepd does not drive yet (it drives " + kind_names(kDrivenKinds) +
         "); a plugin loaded but never called would enforce nothing";
}

PluginSet PluginSet::load(const config::Plugins& plugins, LogSink& log) {
  PluginSet set;
  for (const config::PluginSpec& spec : plugins.load) {
    const std::filesystem::path path =
        spec.path.is_absolute() ? spec.path : plugins.dir / spec.path;
    const LibraryReport report = open_library(path, spec.sha256);
    const std::string where = "plugin '" + spec.name + "' (" + path.string() + "): ";
    if (report.status != LoadStatus::kOk) {
      throw PluginError(where + std::string(load_status_name(report.status)) + ": " +
                        report.reason);
    }
    const std::uint32_t kinds = report.descriptor->kinds;
    if (const std::string problem = undriven_kinds_problem(kinds); !problem.empty()) {
      throw PluginError(where + problem);
    }
    if (spec.fail_closed && (kinds & KDB_KIND_AUDIT) == 0) {
      throw PluginError(where + "fail_closed is set, but the plugin is not of kind audit");
    }
    auto instance = std::make_shared<PluginInstance>(spec.name, *report.descriptor, spec.options,
                                                     plugins.config_dir, log);
    if ((kinds & KDB_KIND_AUTHENTICATOR) != 0) {
      set.authenticators_.push_back(std::make_shared<PluginAuthenticator>(instance));
    }
    if ((kinds & KDB_KIND_ADMISSION) != 0) set.admission_.push_back(instance);
    if ((kinds & KDB_KIND_AUDIT) != 0) set.audit_sinks_.push_back({instance, spec.fail_closed});
    set.instances_.push_back(std::move(instance));
  }
  return set;
}

}  // namespace keepdb::plugin_host
