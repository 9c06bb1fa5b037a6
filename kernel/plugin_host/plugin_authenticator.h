// Adapts a plugin's kdb_authenticator_v1 table to the Authenticator interface: builds the
// C request, gives the plugin host-owned buffers, and turns whatever comes back (now, or
// later through host->auth_complete) into an AuthStep, failing the step when the plugin
// breaks the ABI (exception, unknown status, length past its buffer, unknown roles).
//
// Thread-safety: authenticate() may run concurrently (the plugin promises the same).
// Lifetime: keeps its PluginInstance alive.
#pragma once

#include <memory>

#include "kernel/plugin_host/authenticator.h"
#include "kernel/plugin_host/plugin_instance.h"

namespace keepdb::plugin_host {

class PluginAuthenticator final : public Authenticator {
 public:
  // `instance` must declare KDB_KIND_AUTHENTICATOR.
  explicit PluginAuthenticator(std::shared_ptr<const PluginInstance> instance);

  const std::string& name() const override { return instance_->name(); }
  void authenticate(const AuthRequest& request, std::uint64_t ticket, AuthStepDone done) override;

 private:
  std::shared_ptr<const PluginInstance> instance_;
};

}  // namespace keepdb::plugin_host
