// The kernel's admission and audit seams over the plugin host: PluginAdmissionGate is the
// connection layer's AdmissionGate over the AdmissionChain (turning a denial into the
// client's error text), PluginAuditLog is the AuditLog over the AuditQueue (stamping each
// event with the wall clock and its kind's stable number). Both are built only when a plugin
// of their kind is configured; without one the kernel passes null and pays nothing.
//
// Thread-safety: called on the network thread (the chain and queue they wrap are
// thread-safe). Lifetime: the chain and queue must outlive these adapters.
#pragma once

#include "kernel/commands/audit.h"
#include "kernel/net/admission_gate.h"
#include "kernel/plugin_host/admission_chain.h"
#include "kernel/plugin_host/audit_queue.h"

namespace keepdb::node {

// The client's error for a denial: "ERR <the plugin's reason, else rate limit exceeded>,
// retry in 250 ms" (the hint, when the plugin gave one), or the failure naming the plugin
// that broke.
std::string admission_error(const plugin_host::AdmissionVerdict& verdict);
// The limit a denial is counted under: the name in parentheses that ends the plugin's
// reason ("rate limit exceeded (commands_per_connection)"), "plugin_failure" for a plugin
// that broke, else "" (counted as "unnamed").
std::string admission_limit(const plugin_host::AdmissionVerdict& verdict);

class PluginAdmissionGate final : public net::AdmissionGate {
 public:
  explicit PluginAdmissionGate(const plugin_host::AdmissionChain& chain) : chain_(chain) {}

  std::optional<net::AdmissionDenial> check(const net::AdmissionRequest& request) override;
  void tick() override;

 private:
  const plugin_host::AdmissionChain& chain_;
};

class PluginAuditLog final : public commands::AuditLog {
 public:
  // `node_id`: this node's [node] id, put in every record.
  PluginAuditLog(plugin_host::AuditQueue& queue, std::uint64_t node_id)
      : queue_(queue), node_id_(std::to_string(node_id)) {}

  commands::AuditStats stats() const override;
  std::optional<std::string> refusal() const override { return queue_.refusal(); }
  void record(commands::AuditEvent event) override;

 private:
  plugin_host::AuditQueue& queue_;
  const std::string node_id_;
};

}  // namespace keepdb::node
