// The cluster command family: READONLY / READWRITE (per-connection local reads), WAIT, and
// the admin commands SAVE and BGSAVE (a Raft snapshot on the leader), KEEPDB.MEMBERS,
// KEEPDB.ADD, KEEPDB.REMOVE and KEEPDB.TRANSFER, which run through the node's Cluster
// (cluster.h).
#include <string>

#include "kernel/commands/command_families.h"
#include "kernel/commands/number.h"
#include "kernel/log/log.h"

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

// WAIT numreplicas timeout: a write is acknowledged only once a majority holds it, so there
// is nothing left to wait for. The answer, at once, is how many other voters hold every
// write this node has committed (0 on a node without consensus); Redis would block until
// `numreplicas` or the timeout, KeepDB's count cannot grow by waiting on this connection.
void exec_wait(ExecContext& c) {
  if (!parse_int64(c.args[1])) return c.out.error("ERR value is not an integer or out of range");
  const auto timeout = parse_int64(c.args[2]);
  if (!timeout) return c.out.error("ERR timeout is not an integer or out of range");
  if (*timeout < 0) return c.out.error("ERR timeout is negative");
  const Cluster* cluster = c.node.cluster();
  c.out.integer(cluster == nullptr ? 0 : static_cast<std::int64_t>(cluster->replicas_in_sync()));
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

// SAVE: the leader takes a Raft snapshot of everything applied (its log is compacted up to
// it) and replies +OK once it is stored; a follower answers where the leader is.
void exec_save(ExecContext& c) {
  run_admin(c, [](Cluster& cluster, Cluster::Done done) { cluster.snapshot(std::move(done)); });
}

// BGSAVE [SCHEDULE]: the same snapshot, replied to at once; a failure is logged.
void exec_bgsave(ExecContext& c) {
  if (c.args.size() > 2 || (c.args.size() == 2 && !equals_ignore_case(c.args[1], "schedule"))) {
    return c.out.error("ERR syntax error");
  }
  Cluster* cluster = c.node.cluster();
  if (cluster == nullptr || cluster->status().role != "leader") return exec_save(c);
  cluster->snapshot([](std::optional<std::string> error) {
    if (error) log::warn("BGSAVE: the snapshot was not taken: ", *error);
  });
  c.out.simple("Background saving started");
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
    keyless_command("generic", "wait", 3, Access::kAnyone, "3.0.0",
                    "Answers how many other voters hold every write this node has committed.",
                    exec_wait),
    keyless_command("server", "save", 1, Access::kAdmin, "1.0.0",
                    "Takes a Raft snapshot of the leader's state and compacts its log.",
                    exec_save),
    keyless_command("server", "bgsave", -1, Access::kAdmin, "1.0.0",
                    "Starts a Raft snapshot of the leader's state and replies at once.",
                    exec_bgsave),
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
