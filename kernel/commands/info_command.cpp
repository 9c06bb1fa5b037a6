// The INFO command: the server's state and statistics as Redis's INFO sections.
#include <unistd.h>

#include <chrono>
#include <string>

#include "kernel/commands/audit.h"
#include "kernel/commands/command_families.h"
#include "util/version.h"

namespace keepdb::commands {
namespace {

struct InfoSection {
  std::string_view name;  // lowercase
  void (*render)(ExecContext&, std::string&);
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
  add_field(text, "uptime_in_seconds", std::to_string(uptime));
  add_field(text, "uptime_in_days", std::to_string(uptime / 86400));
  add_field(text, "node_id", std::to_string(c.node.config().node_id));
  add_field(text, "config_file", c.node.config().source.string());
}

void info_clients(ExecContext& c, std::string& text) {
  text += "# Clients\r\n";
  add_field(text, "connected_clients", std::to_string(c.node.stats().connected_clients));
  add_field(text, "maxclients", std::to_string(c.node.config().limits.max_connections));
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
  if (const AuditLog* audit = c.node.audit()) {
    const AuditStats a = audit->stats();
    add_field(text, "audit_queue_length", std::to_string(a.queued));
    add_field(text, "audit_events_dropped", std::to_string(a.dropped));
    add_field(text, "audit_sink_failures", std::to_string(a.sink_failures));
    add_field(text, "audit_refusing_commands", a.refusing ? "1" : "0");
  }
}

// Nothing is ever being loaded into memory: LMDB is the state.
void info_persistence(ExecContext&, std::string& text) {
  text += "# Persistence\r\n";
  add_field(text, "loading", "0");
}

void info_keyspace(ExecContext& c, std::string& text) {
  text += "# Keyspace\r\n";
  const std::uint64_t keys = c.node.kv().size(c.node.read_txn());
  const std::uint64_t expires = c.node.kv().volatile_keys(c.node.read_txn());
  if (keys > 0) {
    add_field(text, "db0",
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

constexpr InfoSection kInfoSections[] = {
    {"server", info_server},
    {"clients", info_clients},
    {"persistence", info_persistence},
    {"stats", info_stats},
    {"keyspace", info_keyspace},
    {"replication", info_replication},
};

void exec_info(ExecContext& c) {
  bool all = c.args.size() == 1;
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    all = all || equals_ignore_case(c.args[i], "all") ||
          equals_ignore_case(c.args[i], "everything") || equals_ignore_case(c.args[i], "default");
  }
  std::string text;
  for (const InfoSection& section : kInfoSections) {
    bool wanted = all;
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
