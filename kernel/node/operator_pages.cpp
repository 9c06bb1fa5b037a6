// The operator listener's /metrics and /health pages (see operator_pages.h).
#include "kernel/node/operator_pages.h"

#include <boost/json.hpp>

#include "kernel/commands/command.h"
#include "kernel/operator/prometheus_text.h"
#include "storage/write_window.h"

namespace keepdb::node {
namespace {

void counter(ops::PrometheusText& page, std::string_view name, std::string_view help,
             std::uint64_t value) {
  page.family(name, "counter", help);
  page.sample(name, value);
}

void gauge(ops::PrometheusText& page, std::string_view name, std::string_view help,
           std::uint64_t value) {
  page.family(name, "gauge", help);
  page.sample(name, value);
}

void commands_section(ops::PrometheusText& page, const commands::CommandStats& stats) {
  constexpr std::string_view kCalls = "keepdb_commands_total";
  constexpr std::string_view kFailed = "keepdb_command_errors_total";
  constexpr std::string_view kLatency = "keepdb_command_duration_seconds";
  page.family(kCalls, "counter", "Commands run, by command.");
  for (const auto& entry : stats.entries()) {
    if (entry.calls != 0) page.sample(kCalls, {{"command", entry.name}}, entry.calls);
  }
  page.family(kFailed, "counter", "Commands that replied an error, by command.");
  for (const auto& entry : stats.entries()) {
    if (entry.calls != 0) page.sample(kFailed, {{"command", entry.name}}, entry.failed);
  }
  page.family(kLatency, "histogram",
              "Command latency: execution, or proposal to reply for a write, by command.");
  for (const auto& entry : stats.entries()) {
    if (entry.calls != 0) {
      page.histogram(kLatency, {{"command", entry.name}}, entry.latency.snapshot());
    }
  }
}

void security_section(ops::PrometheusText& page, const commands::SecurityStats& s) {
  constexpr std::string_view kAuth = "keepdb_auth_total";
  page.family(kAuth, "counter", "Authentication attempts, by outcome.");
  page.sample(kAuth, {{"outcome", "ok"}}, s.auth_ok);
  page.sample(kAuth, {{"outcome", "failed"}}, s.auth_failed);
  constexpr std::string_view kDenied = "keepdb_commands_denied_total";
  page.family(kDenied, "counter", "Commands refused, by reason.");
  page.sample(kDenied, {{"reason", "roles"}}, s.denied_by_role);
  page.sample(kDenied, {{"reason", "admission"}}, s.denied_by_admission);
  page.sample(kDenied, {{"reason", "audit_fail_closed"}}, s.refused_by_audit);
  counter(page, "keepdb_connections_denied_total",
          "Connections the admission gate refused at accept.", s.connections_denied);
  counter(page, "keepdb_bans_total",
          "Authentication outcomes the admission gate refused (a ban in force).", s.bans);
  constexpr std::string_view kByLimit = "keepdb_admission_denials_total";
  page.family(kByLimit, "counter",
              "Connections and commands the admission gate refused, by the limit named.");
  for (const auto& [limit, count] : s.admission_denials) {
    page.sample(kByLimit, {{"limit", limit}}, count);
  }
}

void plugins_section(ops::PrometheusText& page, const MetricSources& sources) {
  constexpr std::string_view kLatency = "keepdb_plugin_call_duration_seconds";
  page.family(kLatency, "histogram",
              "Plugin call latency, by kind: an authentication attempt through the "
              "authenticator chain, one admission check, one audit record.");
  if (sources.auth != nullptr) {
    page.histogram(kLatency, {{"kind", "authenticator"}}, sources.auth->latency().snapshot());
  }
  if (sources.admission != nullptr) {
    page.histogram(kLatency, {{"kind", "admission"}}, sources.admission->latency().snapshot());
  }
  if (sources.audit != nullptr) {
    page.histogram(kLatency, {{"kind", "audit"}}, sources.audit->latency().snapshot());
    const plugin_host::AuditCounters audit = sources.audit->counters();
    counter(page, "keepdb_audit_events_dropped_total",
            "Audit events dropped because the audit queue was full.", audit.dropped);
    counter(page, "keepdb_audit_sink_failures_total", "Audit records a sink failed to record.",
            audit.sink_failures);
    gauge(page, "keepdb_audit_queue_length", "Audit events waiting for the audit thread.",
          audit.queued);
  }
}

void store_section(ops::PrometheusText& page, const storage::WriteWindow& window) {
  using Cause = storage::WriteWindow::CommitCause;
  constexpr std::string_view kLatency = "keepdb_store_commit_duration_seconds";
  page.family(kLatency, "histogram",
              "Commits of the key-value store's write window: LMDB's page writes and their "
              "fdatasync, which the network thread waits for.");
  page.histogram(kLatency, {}, window.commit_latency().snapshot());
  constexpr std::string_view kCommits = "keepdb_store_commits_total";
  page.family(kCommits, "counter",
              "Commits of the key-value store's write window, by cause: the window's age "
              "([storage] commit_interval_ms), its size, or requested before it (a snapshot, a "
              "restore, shutdown, each entry while the disk is low on space).");
  page.sample(kCommits, {{"cause", "age"}}, window.commits(Cause::kAge));
  page.sample(kCommits, {{"cause", "size"}}, window.commits(Cause::kSize));
  page.sample(kCommits, {{"cause", "requested"}}, window.commits(Cause::kRequested));
}

}  // namespace

bool ready(const commands::Cluster::Status& status) {
  const bool leads = status.role == "leader";
  return status.leader_id != 0 && (!leads || status.ready) &&
         status.applied_index >= status.commit_index;
}

ops::HttpResponse metrics_page(const MetricSources& sources) {
  ops::PrometheusText page;
  const commands::ServerStats& stats = sources.node.stats();
  commands_section(page, sources.node.command_stats());
  page.family("keepdb_commit_duration_seconds", "histogram",
              "Write batches from hand-off to the write path to their replies (replicated, "
              "synced to the log on a majority, applied).");
  page.histogram("keepdb_commit_duration_seconds", {}, stats.commit_latency.snapshot());
  page.family("keepdb_log_fsync_duration_seconds", "histogram",
              "Durable writes of the raft log store: the segment write and its fdatasync.");
  page.histogram("keepdb_log_fsync_duration_seconds", {},
                 sources.log_store.sync_latency().snapshot());
  if (const storage::WriteWindow* window = sources.node.write_window()) {
    store_section(page, *window);
  }
  counter(page, "keepdb_write_batches_total", "Write batches committed.", stats.write_batches);
  counter(page, "keepdb_writes_applied_total", "Write commands applied.", stats.writes_applied);

  const commands::Cluster::Status raft = sources.cluster.status();
  gauge(page, "keepdb_raft_term", "The current raft term.", raft.term);
  gauge(page, "keepdb_raft_commit_index", "The highest log index known committed.",
        raft.commit_index);
  gauge(page, "keepdb_raft_applied_index", "The highest log index applied.", raft.applied_index);
  gauge(page, "keepdb_raft_last_log_index", "The last index in the log.", raft.last_log_index);
  gauge(page, "keepdb_raft_leader", "1 while this node leads.", raft.role == "leader" ? 1 : 0);
  gauge(page, "keepdb_ready", "1 while /health reports ready.", ready(raft) ? 1 : 0);

  gauge(page, "keepdb_connected_clients", "Client connections open.", stats.connected_clients);
  counter(page, "keepdb_connections_received_total", "Client connections accepted.",
          stats.connections_received);
  counter(page, "keepdb_connections_rejected_total",
          "Client connections refused at limits.max_connections.", stats.connections_rejected);
  security_section(page, stats.security);
  plugins_section(page, sources);
  return {200, "text/plain; version=0.0.4; charset=utf-8", page.text()};
}

ops::HttpResponse health_page(const commands::Cluster& cluster) {
  const bool is_ready = ready(cluster.status());
  boost::json::object body;
  body["live"] = true;
  body["ready"] = is_ready;
  return {is_ready ? 200u : 503u, "application/json", boost::json::serialize(body) + "\n"};
}

}  // namespace keepdb::node
