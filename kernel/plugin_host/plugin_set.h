// Start-up of every configured plugin: for each [[plugin]] table, in config order, open
// the library (trust, sha256 pin, ABI), check its options and create its instance. Any
// failure stops start-up with one line naming the plugin. The kernel then builds its
// chains from the adapters here (authenticators() -> AuthChain).
//
// Thread-safety: load on the control thread; the accessors are const and may be shared.
// Lifetime: instances are destroyed with the last shared_ptr to them (held by the set and
// by the adapters), on whichever thread drops it; drop them on the control thread.
#pragma once

#include <memory>
#include <vector>

#include "kernel/config/config.h"
#include "kernel/plugin_host/authenticator.h"
#include "kernel/plugin_host/log_sink.h"
#include "kernel/plugin_host/plugin_instance.h"

namespace keepdb::plugin_host {

class PluginSet {
 public:
  // Throws PluginError, e.g. "plugin 'tokens' (auth-token): create failed (KDB_E_INVALID):
  // secrets file /etc/keepdb/tokens is readable by group or others (mode 0644)".
  static PluginSet load(const config::Plugins& plugins, LogSink& log);

  // Every instance, in config order.
  const std::vector<std::shared_ptr<PluginInstance>>& instances() const { return instances_; }
  // The instances of kind authenticator, adapted, in config order.
  const std::vector<std::shared_ptr<Authenticator>>& authenticators() const {
    return authenticators_;
  }

 private:
  std::vector<std::shared_ptr<PluginInstance>> instances_;
  std::vector<std::shared_ptr<Authenticator>> authenticators_;
};

}  // namespace keepdb::plugin_host
