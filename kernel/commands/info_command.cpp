// The INFO command: the server's state and statistics as Redis's INFO sections (server,
// clients, memory, persistence, stats, replication, cpu, keyspace), KeepDB's security
// section and Redis's commandstats.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "kernel/commands/audit.h"
#include "kernel/commands/command_families.h"
#include "storage/write_window.h"
#include "util/latency_histogram.h"
#include "util/version.h"

namespace keepdb::commands {
namespace {

struct InfoSection {
  std::string_view name;  // lowercase
  void (*render)(ExecContext&, std::string&);
  bool in_default;  // part of INFO without arguments (and INFO default), as in Redis
};

void add_field(std::string& text, std::string_view key, const std::string& value) {
  text.append(key).append(":").append(value).append("\r\n");
}

void info_server(ExecContext& c, std::string& text) {
  using namespace std::chrono;
  const auto uptime = duration_cast<seconds>(steady_clock::now() - c.node.stats().started).count();
  text += "# Server\r\n";
  add_field(text, "redis_version", kRedisCompatVersion);
  add_field(text, "keepdb_version", kVersion);
  add_field(text, "redis_mode", "standalone");
  add_field(text, "arch_bits", std::to_string(sizeof(void*) * 8));
  add_field(text, "process_id", std::to_string(::getpid()));
  add_field(text, "tcp_port", std::to_string(c.node.config().client.port));
  add_field(text, "io_threads", std::to_string(c.node.config().client.io_threads));
  add_field(text, "uptime_in_seconds", std::to_string(uptime));
  add_field(text, "uptime_in_days", std::to_string(uptime / 86400));
  add_field(text, "node_id", std::to_string(c.node.config().node_id));
  add_field(text, "config_file", c.node.config().source.string());
}

void info_clients(ExecContext& c, std::string& text) {
  text += "# Clients\r\n";
  add_field(text, "connected_clients", std::to_string(c.node.stats().connected_clients));
  add_field(text, "maxclients", std::to_string(c.node.config().limits.max_connections));
  add_field(text, "blocked_clients", "0");
}

// "1.23M", as Redis's *_human fields.
std::string human_bytes(std::uint64_t bytes) {
  constexpr const char* kUnits[] = {"B", "K", "M", "G", "T"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f%s" : "%.2f%s", value, kUnits[unit]);
  return text;
}

// The process's resident set size from /proc/self/statm; 0 where it cannot be read.
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  std::uint64_t resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// KeepDB has no allocator accounting: used_memory is the resident set size (which includes
// the pages of the LMDB map the process has touched), said by used_memory_source.
void info_memory(ExecContext&, std::string& text) {
  const std::uint64_t rss = resident_bytes();
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto peak = std::max(rss, static_cast<std::uint64_t>(usage.ru_maxrss) * 1024);  // KiB
  text += "# Memory\r\n";
  add_field(text, "used_memory", std::to_string(rss));
  add_field(text, "used_memory_human", human_bytes(rss));
  add_field(text, "used_memory_rss", std::to_string(rss));
  add_field(text, "used_memory_rss_human", human_bytes(rss));
  add_field(text, "used_memory_peak", std::to_string(peak));
  add_field(text, "used_memory_peak_human", human_bytes(peak));
  add_field(text, "used_memory_source", "rss");
  add_field(text, "maxmemory", "0");
  add_field(text, "maxmemory_policy", "noeviction");
}

std::string seconds_text(const timeval& time) {
  char text[32];
  std::snprintf(text, sizeof text, "%ld.%06ld", static_cast<long>(time.tv_sec),
                static_cast<long>(time.tv_usec));
  return text;
}

void info_cpu(ExecContext&, std::string& text) {
  rusage self{};
  rusage children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  text += "# CPU\r\n";
  add_field(text, "used_cpu_sys", seconds_text(self.ru_stime));
  add_field(text, "used_cpu_user", seconds_text(self.ru_utime));
  add_field(text, "used_cpu_sys_children", seconds_text(children.ru_stime));
  add_field(text, "used_cpu_user_children", seconds_text(children.ru_utime));
}

// The audit seam's health (nothing without an audit plugin).
void add_audit_fields(ExecContext& c, std::string& text) {
  const AuditLog* audit = c.node.audit();
  if (audit == nullptr) return;
  const AuditStats a = audit->stats();
  add_field(text, "audit_queue_length", std::to_string(a.queued));
  add_field(text, "audit_events_dropped", std::to_string(a.dropped));
  add_field(text, "audit_sink_failures", std::to_string(a.sink_failures));
  add_field(text, "audit_refusing_commands", a.refusing ? "1" : "0");
}

void info_stats(ExecContext& c, std::string& text) {
  const ServerStats& s = c.node.stats();
  text += "# Stats\r\n";
  add_field(text, "total_connections_received", std::to_string(s.connections_received));
  add_field(text, "total_commands_processed", std::to_string(s.commands_processed));
  add_field(text, "rejected_connections", std::to_string(s.connections_rejected));
  add_field(text, "total_error_replies_protocol", std::to_string(s.protocol_errors));
  add_field(text, "expired_keys", std::to_string(s.expired_keys));
  add_field(text, "write_batches", std::to_string(s.write_batches));
  add_field(text, "writes_applied", std::to_string(s.writes_applied));
  add_audit_fields(c, text);
}

// Authentication outcomes, denials by reason, bans, audit health and the loaded plugins
// ("plugin_<n>:name=...,provider=...,version=...,kinds=authenticator|admission").
void info_security(ExecContext& c, std::string& text) {
  const SecurityStats& s = c.node.stats().security;
  text += "# Security\r\n";
  add_field(text, "auth_required", c.node.auth() != nullptr ? "1" : "0");
  add_field(text, "auth_successes", std::to_string(s.auth_ok));
  add_field(text, "auth_failures", std::to_string(s.auth_failed));
  add_field(text, "denied_by_role", std::to_string(s.denied_by_role));
  add_field(text, "denied_by_admission", std::to_string(s.denied_by_admission));
  add_field(text, "connections_denied_by_admission", std::to_string(s.connections_denied));
  add_field(text, "denied_by_audit_fail_closed", std::to_string(s.refused_by_audit));
  add_field(text, "bans", std::to_string(s.bans));
  std::string by_limit;
  for (const auto& [limit, count] : s.admission_denials) {
    by_limit += (by_limit.empty() ? "" : ",") + limit + "=" + std::to_string(count);
  }
  add_field(text, "admission_denials", by_limit);
  add_audit_fields(c, text);
  add_field(text, "loaded_plugins", std::to_string(c.node.plugins().size()));
  std::size_t n = 0;
  for (const LoadedPlugin& plugin : c.node.plugins()) {
    std::string kinds = plugin.kinds;
    for (char& ch : kinds) {
      if (ch == ',') ch = '|';
    }
    kinds.erase(std::remove(kinds.begin(), kinds.end(), ' '), kinds.end());
    add_field(text, "plugin_" + std::to_string(n++),
              "name=" + plugin.name + ",provider=" + plugin.provider +
                  ",version=" + plugin.version + ",kinds=" + kinds);
  }
}

// Redis's per-command lines, for the commands that ran at least once:
// cmdstat_get:calls=2,usec=15,usec_per_call=7.50,rejected_calls=0,failed_calls=0
void info_commandstats(ExecContext& c, std::string& text) {
  text += "# Commandstats\r\n";
  for (const CommandStats::Entry& entry : c.node.command_stats().entries()) {
    if (entry.calls == 0) continue;
    const std::uint64_t usec = entry.latency.snapshot().sum_us;
    char per_call[32];
    std::snprintf(per_call, sizeof per_call, "%.2f",
                  static_cast<double>(usec) / static_cast<double>(entry.calls));
    add_field(text, "cmdstat_" + entry.name,
              "calls=" + std::to_string(entry.calls) + ",usec=" + std::to_string(usec) +
                  ",usec_per_call=" + per_call + ",rejected_calls=0,failed_calls=" +
                  std::to_string(entry.failed));
  }
}

// Nothing is ever being loaded into memory: LMDB is the state, and every acknowledged write
// is already durable (so the last save is now, as LASTSAVE says). KeepDB's own fields: the
// commits of the key-value store's write window by cause, and their mean duration.
void info_persistence(ExecContext& c, std::string& text) {
  using namespace std::chrono;
  text += "# Persistence\r\n";
  add_field(text, "loading", "0");
  add_field(text, "async_loading", "0");
  add_field(text, "rdb_changes_since_last_save", "0");
  add_field(text, "rdb_bgsave_in_progress", "0");
  add_field(text, "rdb_last_save_time",
            std::to_string(duration_cast<seconds>(system_clock::now().time_since_epoch()).count()));
  add_field(text, "rdb_last_bgsave_status", "ok");
  add_field(text, "aof_enabled", "0");
  add_field(text, "aof_rewrite_in_progress", "0");
  const storage::WriteWindow* window = c.node.write_window();
  if (window == nullptr) return;
  using Cause = storage::WriteWindow::CommitCause;
  add_field(text, "store_commits",
            "age=" + std::to_string(window->commits(Cause::kAge)) +
                ",size=" + std::to_string(window->commits(Cause::kSize)) +
                ",requested=" + std::to_string(window->commits(Cause::kRequested)));
  const util::LatencyHistogram::Snapshot latency = window->commit_latency().snapshot();
  add_field(text, "store_commit_avg_usec",
            std::to_string(latency.count == 0 ? 0 : latency.sum_us / latency.count));
}

void info_keyspace(ExecContext& c, std::string& text) {
  text += "# Keyspace\r\n";
  for (unsigned db = 0; db < c.node.config().storage.databases; ++db) {
    const auto index = static_cast<storage::Db>(db);
    const std::uint64_t keys = c.node.kv().size(c.node.read_txn(), index);
    if (keys == 0) continue;
    const std::uint64_t expires = c.node.kv().volatile_keys(c.node.read_txn(), index);
    add_field(text, "db" + std::to_string(db),
              "keys=" + std::to_string(keys) + ",expires=" + std::to_string(expires) + ",avg_ttl=0");
  }
}

// Consensus state: role, leader, term, commit and applied index (none without consensus).
void info_replication(ExecContext& c, std::string& text) {
  text += "# Replication\r\n";
  if (c.node.cluster() == nullptr) {
    add_field(text, "role", "master");
    add_field(text, "connected_slaves", "0");
    return;
  }
  const Cluster::Status s = c.node.cluster()->status();
  const bool leads = s.role == "leader";
  add_field(text, "role", leads ? "master" : "slave");
  // The leader's replicas are the other members; a follower has none.
  const std::size_t members = c.node.cluster()->members().size();
  add_field(text, "connected_slaves", std::to_string(leads && members > 0 ? members - 1 : 0));
  add_field(text, "keepdb_node_id", std::to_string(s.self_id));
  add_field(text, "keepdb_role", s.role);
  add_field(text, "keepdb_leader_ready", s.ready ? "1" : "0");
  add_field(text, "keepdb_leader_id", std::to_string(s.leader_id));
  add_field(text, "keepdb_leader_client_address", s.leader_client_address);
  add_field(text, "keepdb_term", std::to_string(s.term));
  add_field(text, "keepdb_commit_index", std::to_string(s.commit_index));
  add_field(text, "keepdb_applied_index", std::to_string(s.applied_index));
  add_field(text, "keepdb_last_log_index", std::to_string(s.last_log_index));
}

// In Redis's order; commandstats only with "all" or "everything", as in Redis.
constexpr InfoSection kInfoSections[] = {
    {"server", info_server, true},           {"clients", info_clients, true},
    {"memory", info_memory, true},           {"persistence", info_persistence, true},
    {"stats", info_stats, true},             {"replication", info_replication, true},
    {"cpu", info_cpu, true},                 {"security", info_security, true},
    {"commandstats", info_commandstats, false}, {"keyspace", info_keyspace, true},
};

// INFO [section ...]: no argument or "default": the default sections; "all" and
// "everything": every section; a name: that section; an unknown name adds nothing.
void exec_info(ExecContext& c) {
  bool defaults = c.args.size() == 1;
  bool all = false;
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    all = all || equals_ignore_case(c.args[i], "all") ||
          equals_ignore_case(c.args[i], "everything");
    defaults = defaults || equals_ignore_case(c.args[i], "default");
  }
  std::string text;
  for (const InfoSection& section : kInfoSections) {
    bool wanted = all || (defaults && section.in_default);
    for (std::size_t i = 1; i < c.args.size() && !wanted; ++i) {
      wanted = equals_ignore_case(c.args[i], section.name);
    }
    if (!wanted) continue;
    if (!text.empty()) text += "\r\n";
    section.render(c, text);
  }
  c.out.verbatim(text);
}

constexpr CommandSpec kInfoCommands[] = {
    keyless_command("server", "info", -1, Access::kRead, "1.0.0",
                    "Returns information and statistics about the server.", exec_info),
};

}  // namespace

std::span<const CommandSpec> info_commands() { return kInfoCommands; }

}  // namespace keepdb::commands
