// The cluster command family: READONLY / READWRITE (per-connection local reads) and the
// admin commands KEEPDB.MEMBERS, KEEPDB.ADD, KEEPDB.REMOVE and KEEPDB.TRANSFER, which run
// through the node's Cluster (cluster.h).
#include <string>

#include "kernel/commands/command_families.h"
#include "kernel/commands/number.h"

namespace keepdb::commands {
namespace {

constexpr char kNoCluster[] = "ERR consensus is not running on this node";

void exec_readonly(ExecContext& c) {
  c.session.local_reads = true;
  c.out.simple("OK");
}

void exec_readwrite(ExecContext& c) {
  c.session.local_reads = false;
  c.out.simple("OK");
}

void exec_members(ExecContext& c) {
  if (c.node.cluster() == nullptr) {
    c.out.error(kNoCluster);
    return;
  }
  const auto leader = c.node.cluster()->status().leader_id;
  const auto members = c.node.cluster()->members();
  c.out.array(members.size());
  for (const Cluster::Member& member : members) {
    c.out.map(5);
    c.out.bulk("id");
    c.out.integer(static_cast<std::int64_t>(member.id));
    c.out.bulk("peer");
    c.out.bulk(member.peer_address);
    c.out.bulk("client");
    c.out.bulk(member.client_address);
    c.out.bulk("role");
    c.out.bulk(member.role);
    c.out.bulk("leader");
    c.out.boolean(member.id == leader);
  }
}

// Runs a membership operation and replies +OK or its error once it has finished.
template <typename Start>
void run_admin(ExecContext& c, const Start& start) {
  if (c.node.cluster() == nullptr) {
    c.out.error(kNoCluster);
    return;
  }
  Resume resume = c.defer();
  start(*c.node.cluster(), [resume](std::optional<std::string> error) {
    resume([error = std::move(error)](resp::ReplyWriter& out, Session&) {
      if (error) {
        out.error(*error);
      } else {
        out.simple("OK");
      }
    });
  });
}

std::optional<std::uint64_t> member_id(std::string_view text) {
  const auto id = parse_uint64(text);
  if (!id || *id == 0) return std::nullopt;
  return id;
}

void exec_add(ExecContext& c) {
  const auto id = member_id(c.args[1]);
  if (!id) {
    c.out.error("ERR member id must be a positive integer");
    return;
  }
  run_admin(c, [&](Cluster& cluster, Cluster::Done done) {
    cluster.add_member(*id, std::string(c.args[2]), std::string(c.args[3]), std::move(done));
  });
}

void exec_remove(ExecContext& c) {
  const auto id = member_id(c.args[1]);
  if (!id) {
    c.out.error("ERR member id must be a positive integer");
    return;
  }
  run_admin(c, [&](Cluster& cluster, Cluster::Done done) {
    cluster.remove_member(*id, std::move(done));
  });
}

void exec_transfer(ExecContext& c) {
  if (auto error = arity_error("keepdb.transfer", -1, c.args.size(), 2)) {
    c.out.error(*error);
    return;
  }
  std::uint64_t id = 0;
  if (c.args.size() == 2) {
    const auto parsed = member_id(c.args[1]);
    if (!parsed) {
      c.out.error("ERR member id must be a positive integer");
      return;
    }
    id = *parsed;
  }
  run_admin(c, [&](Cluster& cluster, Cluster::Done done) {
    cluster.transfer_leadership(id, std::move(done));
  });
}

constexpr CommandSpec kClusterCommands[] = {
    keyless_command("cluster", "readonly", 1, Access::kRead, "3.0.0",
                    "Serves this connection's reads from local state (possibly stale).",
                    exec_readonly),
    keyless_command("cluster", "readwrite", 1, Access::kRead, "3.0.0",
                    "Makes this connection's reads linearizable again (the default).",
                    exec_readwrite),
    keyless_command("cluster", "keepdb.members", 1, Access::kAdmin, "0.1.0",
                    "Lists the cluster members, their addresses and roles.", exec_members),
    keyless_command("cluster", "keepdb.add", 4, Access::kAdmin, "0.1.0",
                    "Adds a member: spare, catch up, then voter. Run on the leader.", exec_add),
    keyless_command("cluster", "keepdb.remove", 2, Access::kAdmin, "0.1.0",
                    "Removes a member. Run on the leader.", exec_remove),
    keyless_command("cluster", "keepdb.transfer", -1, Access::kAdmin, "0.1.0",
                    "Transfers leadership to a voter (or the most up-to-date one).", exec_transfer),
};

}  // namespace

std::span<const CommandSpec> cluster_commands() {
  return kClusterCommands;
}

}  // namespace keepdb::commands
