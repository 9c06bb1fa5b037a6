// Admission verdicts to client errors, audit events to queued records.
#include "kernel/node/plugin_seams.h"

#include <algorithm>
#include <chrono>

namespace keepdb::node {

std::string admission_error(const plugin_host::AdmissionVerdict& verdict) {
  if (!verdict.failure.empty()) return "ERR request refused: " + verdict.failure;
  const std::string why = verdict.reason.empty() ? "rate limit exceeded" : verdict.reason;
  if (verdict.retry_after_ms == 0) return "ERR " + why;
  return "ERR " + why + ", retry in " + std::to_string(verdict.retry_after_ms) + " ms";
}

std::string admission_limit(const plugin_host::AdmissionVerdict& verdict) {
  if (!verdict.failure.empty()) return "plugin_failure";
  // "... (name)": a short lowercase name in parentheses ends the reason.
  const std::string& reason = verdict.reason;
  const std::size_t open = reason.rfind('(');
  if (open == std::string::npos || reason.back() != ')') return {};
  const std::string name = reason.substr(open + 1, reason.size() - open - 2);
  const bool plain = !name.empty() && name.size() <= 40 &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                     });
  return plain ? name : std::string();
}

std::optional<net::AdmissionDenial> PluginAdmissionGate::check(
    const net::AdmissionRequest& request) {
  const plugin_host::AdmissionVerdict verdict =
      chain_.check({static_cast<std::uint32_t>(request.event), request.conn_id, request.peer_ip,
                    request.peer_port, request.local_port, request.principal, request.command,
                    request.request_bytes});
  if (verdict.admitted) return std::nullopt;
  return net::AdmissionDenial{admission_error(verdict), admission_limit(verdict)};
}

void PluginAdmissionGate::tick() {
  chain_.tick(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::steady_clock::now().time_since_epoch())
                                             .count()));
}

commands::AuditStats PluginAuditLog::stats() const {
  const plugin_host::AuditCounters counters = queue_.counters();
  return {counters.queued, counters.dropped, counters.sink_failures, counters.refusing};
}

void PluginAuditLog::record(commands::AuditEvent event) {
  const auto wall_ns =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  queue_.push({static_cast<std::uint32_t>(event.kind), wall_ns, event.conn_id,
               std::move(event.peer_addr), std::move(event.principal), std::move(event.action),
               std::move(event.outcome), std::move(event.detail), std::move(event.key), node_id_,
               event.duration_us});
}

}  // namespace keepdb::node
