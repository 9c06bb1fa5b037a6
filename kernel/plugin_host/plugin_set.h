// Start-up of every configured plugin: for each [[plugin]] table, in config order, open
// the library (trust, sha256 pin, ABI), check its options and create its instance. Any
// failure stops start-up with one line naming the plugin. The kernel then builds its seams
// from the instances here, by kind: authenticators() -> AuthChain, admission() ->
// AdmissionChain, audit_sinks() -> AuditQueue, transport(name) -> the listener naming it.
//
// Reload is replacement (plugin.h convention 8): reload() creates new instances for the
// plugins that changed and swaps them into the running seams, or changes nothing.
//
// Thread-safety: load, reload and destroy_drained on the control thread (reloads one at a
// time); the const accessors may be used there between reloads. Lifetime: the set, the
// seams and every call in flight hold an instance by shared_ptr. An instance a reload
// replaced is kept by the set until its last call has returned, then destroyed by
// destroy_drained() on the control thread (plugin.h convention 6); what is left goes with
// the set.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernel/config/config.h"
#include "kernel/plugin_host/admission_chain.h"
#include "kernel/plugin_host/audit_queue.h"
#include "kernel/plugin_host/auth_chain.h"
#include "kernel/plugin_host/authenticator.h"
#include "kernel/plugin_host/log_sink.h"
#include "kernel/plugin_host/plugin_instance.h"
#include "kernel/plugin_host/plugin_transport.h"

namespace keepdb::plugin_host {

// The provider kinds (KDB_KIND_* bits) this kernel drives: all four.
inline constexpr std::uint32_t kDrivenKinds =
    KDB_KIND_AUTHENTICATOR | KDB_KIND_TRANSPORT | KDB_KIND_ADMISSION | KDB_KIND_AUDIT;

// "authenticator, admission" for the KDB_KIND_* bits in `kinds` (unknown bits as "0x..").
std::string kind_names(std::uint32_t kinds);

// The running seams a reload swaps new instances into.
struct LiveSeams {
  AuthChain& auth;
  AdmissionChain& admission;
  AuditQueue& audit;
};

class PluginSet {
 public:
  // Throws PluginError, e.g. "plugin 'tokens' (auth-token): create failed (KDB_E_INVALID):
  // secrets file /etc/keepdb/tokens is readable by group or others (mode 0644)".
  static PluginSet load(const config::Plugins& plugins, LogSink& log);

  // A reload. `next` must name the same plugins, from the same libraries, in the same
  // order, with the same fail_closed (the config diff refuses other changes first as
  // needing a restart; a mismatch here throws too). Every library is checked again as at
  // start (trusted file, sha256 pin, unchanged since it was loaded). Each plugin whose
  // option_fingerprint() changed (its options, or a file one of its path options names)
  // gets a new instance from create(), which checks its files as at start. Only when every
  // create has succeeded are the new instances swapped into `seams` and this set; each old
  // one is kept until its in-flight calls have returned (destroy_drained()). The audit
  // thread is paused for the whole reload, so no audit sink runs while its successor is
  // created (a sink stuck in one call for 2 s fails the reload instead of blocking it).
  // Returns the names of the plugins replaced, in config order. Throws PluginError naming
  // the plugin, with nothing changed.
  std::vector<std::string> reload(const config::Plugins& next, LogSink& log,
                                  const LiveSeams& seams);

  // Destroys the replaced instances whose in-flight calls have all returned; returns how
  // many still have calls in flight (call again later while it is not 0).
  std::size_t destroy_drained();

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
  // The instance of kind transport named `name` in a [[plugin]] table; throws PluginError
  // naming `user` (the config key that asked) when there is none. A reload replaces the
  // instance inside it: new sessions use the new one, open sessions keep theirs.
  std::shared_ptr<PluginTransport> transport(const std::string& name,
                                             std::string_view user) const;
  // Throws PluginError for a transport instance no listener names (`used`): loaded but never
  // called, it would protect nothing.
  void require_transports_used(const std::vector<std::string>& used) const;
  // The transport `[client] transport` names (null when it names none), after both checks
  // above (for `[cluster] transport` too, which counts as naming its transport): what keepd
  // run and keepd config check ask, so both refuse the same configs.
  std::shared_ptr<PluginTransport> client_transport(const config::Config& config) const;

 private:
  std::vector<std::shared_ptr<PluginInstance>> instances_;
  std::vector<config::PluginSpec> specs_;    // as loaded or last reloaded, in config order
  std::vector<std::string> fingerprints_;    // option_fingerprint() of each instance
  std::vector<std::shared_ptr<PluginInstance>> retired_;  // replaced, maybe still in calls
  std::vector<std::shared_ptr<Authenticator>> authenticators_;
  std::vector<std::shared_ptr<const PluginInstance>> admission_;
  std::vector<AuditSinkSpec> audit_sinks_;
  std::vector<std::shared_ptr<PluginTransport>> transports_;
};

}  // namespace keepdb::plugin_host
