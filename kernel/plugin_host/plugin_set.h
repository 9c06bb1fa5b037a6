// Start-up of every configured plugin: for each [[plugin]] table, in config order, open
// the library (trust, sha256 pin, ABI), refuse a kind this kernel does not drive, check its
// options and create its instance. Any failure stops start-up with one line naming the
// plugin. The kernel then builds its seams from the instances here, by kind:
// authenticators() -> AuthChain, admission() -> AdmissionChain, audit_sinks() -> AuditQueue.
//
// Thread-safety: load on the control thread; the accessors are const and may be shared.
// Lifetime: instances are destroyed with the last shared_ptr to them (held by the set and
// by the adapters), on whichever thread drops it; drop them on the control thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernel/config/config.h"
#include "kernel/plugin_host/audit_queue.h"
#include "kernel/plugin_host/authenticator.h"
#include "kernel/plugin_host/log_sink.h"
#include "kernel/plugin_host/plugin_instance.h"

namespace keepdb::plugin_host {

// The provider kinds (KDB_KIND_* bits) this kernel drives: authenticator, admission, audit.
// Transport is not driven until its seam lands, so a plugin declaring it is refused.
inline constexpr std::uint32_t kDrivenKinds =
    KDB_KIND_AUTHENTICATOR | KDB_KIND_ADMISSION | KDB_KIND_AUDIT;

// "authenticator, admission" for the KDB_KIND_* bits in `kinds` (unknown bits as "0x..").
std::string kind_names(std::uint32_t kinds);

// Why a plugin declaring `kinds` cannot be loaded by this kernel, or empty when it can:
// "declares kind transport, which this keepd does not drive yet".
std::string undriven_kinds_problem(std::uint32_t kinds);

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
  // The instances of kind admission, in config order.
  const std::vector<std::shared_ptr<const PluginInstance>>& admission() const { return admission_; }
  // The instances of kind audit with their [[plugin]] fail_closed, in config order.
  const std::vector<AuditSinkSpec>& audit_sinks() const { return audit_sinks_; }

 private:
  std::vector<std::shared_ptr<PluginInstance>> instances_;
  std::vector<std::shared_ptr<Authenticator>> authenticators_;
  std::vector<std::shared_ptr<const PluginInstance>> admission_;
  std::vector<AuditSinkSpec> audit_sinks_;
};

}  // namespace keepdb::plugin_host
