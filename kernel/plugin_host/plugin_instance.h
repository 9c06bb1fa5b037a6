// One created plugin instance: its options checked against the schema, create() called
// with its own host services, destroy() called when the last owner lets go.
//
// Thread-safety: construction and destruction on the control thread. The const accessors
// (and disable()) may be used from any thread. Lifetime: share by std::shared_ptr; every adapter
// holds one, so destroy() runs only after the adapters (and their in-flight calls) are gone.
#pragma once

#include <keepdb/plugin.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "kernel/plugin_host/host_services.h"
#include "kernel/plugin_host/log_sink.h"
#include "kernel/plugin_host/option_schema.h"

namespace keepdb::plugin_host {

class PluginInstance {
 public:
  // Checks `options`, resolves its KDB_OPT_PATH values against `config_dir` (the config
  // file's directory; empty: leave them as given) and calls the descriptor's create().
  // Throws PluginError naming the instance with the plugin's own message when the options
  // are wrong or create fails.
  PluginInstance(std::string name, const kdb_plugin_descriptor& descriptor,
                 const OptionList& options, const std::filesystem::path& config_dir, LogSink& log);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const std::string& name() const { return name_; }
  // "plugin 'tokens' (auth-token)": how logs and errors name this instance.
  const std::string& label() const { return services_.label(); }
  const kdb_plugin_descriptor& descriptor() const { return descriptor_; }
  void* handle() const { return handle_; }
  LogSink& log() const { return services_.log(); }

  // Set once the plugin wrote past the end of a buffer the host lent it: adapters then
  // fail every call without entering the plugin. Thread-safe; never cleared.
  bool disabled() const { return disabled_.load(); }
  void disable() const { disabled_.store(true); }

 private:
  // Calls the descriptor's destroy() behind the ABI guard; logs an escaping exception.
  void destroy_instance() noexcept;

  std::string name_;
  const kdb_plugin_descriptor& descriptor_;
  HostServices services_;
  void* handle_ = nullptr;
  mutable std::atomic<bool> disabled_{false};
};

}  // namespace keepdb::plugin_host
