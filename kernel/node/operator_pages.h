// The operator listener's pages: GET /metrics, the Prometheus text built from the counters
// each layer keeps where its events happen (commands and security outcomes in
// commands::NodeContext, commit latency in the group commit, fsync latency in the raft log
// store, plugin call latency in the plugin host's chains and audit queue, raft indexes from
// the cluster), and GET /health, liveness and readiness from consensus.
//
// Thread-safety: the pages run on the network thread, which owns most of what they read;
// the latency histograms they read from other threads are atomics. Lifetime: every source
// must outlive the listener serving the pages.
#pragma once

#include "kernel/commands/cluster.h"
#include "kernel/commands/node_context.h"
#include "kernel/operator/http_listener.h"
#include "kernel/plugin_host/admission_chain.h"
#include "kernel/plugin_host/audit_queue.h"
#include "kernel/plugin_host/auth_chain.h"
#include "storage/raft_log_store.h"

namespace keepdb::node {

struct MetricSources {
  commands::NodeContext& node;
  const commands::Cluster& cluster;
  const storage::RaftLogStore& log_store;
  // Each null when no plugin of its kind is configured.
  const plugin_host::AuthChain* auth = nullptr;
  const plugin_host::AdmissionChain* admission = nullptr;
  const plugin_host::AuditQueue* audit = nullptr;
};

// Ready: the node knows a leader (and, leading, its election barrier has applied) and has
// applied every entry it knows committed.
bool ready(const commands::Cluster::Status& status);

// The Prometheus text page.
ops::HttpResponse metrics_page(const MetricSources& sources);
// 200 {"live":true,"ready":true}, or 503 with "ready":false.
ops::HttpResponse health_page(const commands::Cluster& cluster);

}  // namespace keepdb::node
