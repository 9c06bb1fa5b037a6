// Loads the [[plugin]] tables in order and adapts each instance by kind.
#include "kernel/plugin_host/plugin_set.h"

#include "kernel/plugin_host/library_loader.h"
#include "kernel/plugin_host/plugin_authenticator.h"
#include "kernel/plugin_host/plugin_error.h"

namespace keepdb::plugin_host {

PluginSet PluginSet::load(const config::Plugins& plugins, LogSink& log) {
  PluginSet set;
  for (const config::PluginSpec& spec : plugins.load) {
    const std::filesystem::path path =
        spec.path.is_absolute() ? spec.path : plugins.dir / spec.path;
    const LibraryReport report = open_library(path, spec.sha256);
    if (report.status != LoadStatus::kOk) {
      throw PluginError("plugin '" + spec.name + "' (" + path.string() + "): " +
                        std::string(load_status_name(report.status)) + ": " + report.reason);
    }
    auto instance = std::make_shared<PluginInstance>(spec.name, *report.descriptor, spec.options,
                                                     plugins.config_dir, log);
    if ((report.descriptor->kinds & KDB_KIND_AUTHENTICATOR) != 0) {
      set.authenticators_.push_back(std::make_shared<PluginAuthenticator>(instance));
    }
    set.instances_.push_back(std::move(instance));
  }
  return set;
}

}  // namespace keepdb::plugin_host
