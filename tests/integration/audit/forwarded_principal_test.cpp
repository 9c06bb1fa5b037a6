// Issue 9, "forwarded requests carry the client's principal and roles", on a real 3-node
// cluster whose every node authenticates clients (plugins/auth-token) and records to its
// own audit file (plugins/audit): a write-only principal authenticated on a follower writes;
// the leader's record of that write names the principal and the follower it came through,
// the follower's record is its own client's command as admitted (not a second apply), the
// third node records nothing of it. The same principal's value-revealing writes (GETEX,
// SET ... GET) get NOPERM on the follower, and again on the leader when a member forwards
// them anyway, where each refusal is recorded as denied_role. Every node's file verifies
// with keepdb-audit afterwards.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/audit/audit_records.h"
#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/cluster/peer_client.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration::audit {
namespace {

constexpr char kOpsToken[] = "ops-token-9c2e51d04b68aa917f3a";
constexpr char kProducerToken[] = "producer-token-3e8d1f6a0b7c52d9";
constexpr std::uint32_t kWriteRole = 2;  // KDB_ROLE_WRITE

std::filesystem::path audit_file(const LocalCluster& cluster, unsigned node) {
  return cluster.dir() / ("audit-node" + std::to_string(node + 1) + ".log");
}

// Writes the tokens plugin's secrets file into the cluster's dir.
LocalCluster::ExtraLines secrets_file() {
  LocalCluster::ExtraLines extra;
  extra.before_start = [](const std::filesystem::path& dir) {
    write_file(dir / "secrets", secrets_line(kOpsToken, "read,write,admin", "ops") +
                                    secrets_line(kProducerToken, "write", "producer"));
    std::filesystem::permissions(dir / "secrets", std::filesystem::perms::owner_read |
                                                      std::filesystem::perms::owner_write);
  };
  return extra;
}

// Every node: the tokens plugin over the secrets file, and an audit file of its own.
LocalCluster::Plugins authenticated_and_audited() {
  LocalCluster::Plugins plugins;
  plugins.tables = [](unsigned node) {
    const std::string name = "node-" + std::to_string(node + 1);
    return std::vector<PluginTable>{
        PluginTable("tokens", auth_token_plugin(), {{"secrets_file", "secrets"}}),
        PluginTable("audit", audit_plugin(),
                    {{"path", "audit-node" + std::to_string(node + 1) + ".log"},
                     {"node_id", name},
                     {"fsync", "none"}})};
  };
  plugins.auth = {kOpsToken};
  return plugins;
}

void authenticate(RawClient& client, const char* token) {
  REQUIRE(client.command({"AUTH", token}).text == "OK");
}

std::string secret_of(const LocalCluster& cluster) {
  std::string text = read_file(cluster.secret_path());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace

TEST_CASE("audit cluster: the leader records a forwarded write under the client's principal",
          "[audit][cluster]") {
  LocalCluster cluster(3, {}, "audit-forward", {}, {}, secrets_file(), authenticated_and_audited());
  const int leader_index = cluster.wait_for_leader();
  REQUIRE(leader_index >= 0);
  const auto leader = static_cast<unsigned>(leader_index);
  const unsigned follower = leader == 0 ? 1 : 0;
  const unsigned third = 3 - leader - follower;
  const std::string via = "server " + std::to_string(cluster.id(follower));

  RawClient producer(cluster.client_port(follower));
  authenticate(producer, kProducerToken);
  REQUIRE(producer.command({"SET", "forwarded:key", "value-never-recorded"}).text == "OK");
  RawClient ops(cluster.client_port(leader));
  authenticate(ops, kOpsToken);
  CHECK(ops.command({"GET", "forwarded:key"}).text == "value-never-recorded");

  const std::initializer_list<Field> write_of_key = {
      {"kind", "write"}, {"command", "set"}, {"key", "forwarded:key"}};
  const auto on_leader = wait_for_records(audit_file(cluster, leader), write_of_key);
  REQUIRE(on_leader.size() == 1);
  CHECK(text_of(on_leader[0], "principal") == "producer");
  CHECK(text_of(on_leader[0], "client_addr") == via);
  CHECK(text_of(on_leader[0], "outcome") == "admitted");
  CHECK(text_of(on_leader[0], "node") == "node-" + std::to_string(leader + 1));
  CHECK(on_leader[0].at("conn").as_int64() == 0);

  // The follower recorded its own client's command as admitted, once, and never as a write
  // coming from a server; the third node did not record it at all.
  const auto on_follower = wait_for_records(audit_file(cluster, follower), write_of_key);
  REQUIRE(on_follower.size() == 1);
  CHECK(text_of(on_follower[0], "principal") == "producer");
  CHECK(text_of(on_follower[0], "client_addr") == "127.0.0.1");
  CHECK(text_of(on_follower[0], "outcome") == "admitted");
  CHECK(on_follower[0].at("conn").as_int64() != 0);
  for (const auto& record : read_records(audit_file(cluster, follower))) {
    CHECK(text_of(record, "client_addr").rfind("server ", 0) == std::string::npos);
  }
  CHECK(matching(read_records(audit_file(cluster, third)), write_of_key).empty());

  // Value-revealing writes need the read role: refused on the follower's client path ...
  const RespValue getex = producer.command({"GETEX", "forwarded:key", "PERSIST"});
  CHECK(getex.text.rfind("NOPERM", 0) == 0);
  const RespValue set_get = producer.command({"SET", "forwarded:key", "overwritten", "GET"});
  CHECK(set_get.text.rfind("NOPERM", 0) == 0);
  // (A denial names the command by the table's name, as every record does.)
  CHECK_FALSE(wait_for_records(audit_file(cluster, follower), {{"kind", "denied_role"},
                                                              {"principal", "producer"},
                                                              {"command", "getex"}})
                  .empty());

  // ... and on the leader's path, when a member forwards them for that principal anyway.
  PeerClient member(cluster.peer_port(leader));
  REQUIRE(member.handshake("test-cluster", cluster.id(follower), cluster.id(leader),
                           secret_of(cluster)));
  member.send(PeerClient::forward_frame({{"getex", "forwarded:key", "persist"}}, "producer",
                                        kWriteRole));
  member.send(PeerClient::forward_frame({{"set", "forwarded:key", "overwritten", "get"}},
                                        "producer", kWriteRole));
  member.send(PeerClient::forward_frame({{"set", "forwarded:control", "yes"}}, "producer",
                                        kWriteRole));  // the positive control, same path
  REQUIRE(poll_until([&] { return ops.command({"GET", "forwarded:control"}).text == "yes"; },
                     kReplyTimeout));
  CHECK(ops.command({"GET", "forwarded:key"}).text == "value-never-recorded");
  const std::string refused = "for principal 'producer': NOPERM User producer has no "
                              "permissions to run the '";
  CHECK_THAT(cluster.log(leader), Catch::Contains(refused + "getex' command"));
  CHECK_THAT(cluster.log(leader), Catch::Contains(refused + "set' command"));
  // The audit thread writes records a few milliseconds after the commands: wait for the
  // control's, queued after both refusals', before reading the file.
  CHECK(wait_for_records(audit_file(cluster, leader), {{"kind", "write"},
                                                       {"key", "forwarded:control"},
                                                       {"principal", "producer"},
                                                       {"client_addr", via}})
            .size() == 1);
  const auto leader_records = read_records(audit_file(cluster, leader));
  CHECK(matching(leader_records, {{"kind", "write"}, {"command", "getex"}}).empty());
  // The leader records each refusal as denied_role, from the member that forwarded it.
  for (const char* command : {"getex", "set"}) {
    INFO(command);
    const auto denied = matching(leader_records, {{"kind", "denied_role"},
                                                  {"command", command},
                                                  {"principal", "producer"},
                                                  {"client_addr", via}});
    REQUIRE(denied.size() == 1);
    CHECK(text_of(denied[0], "reason").starts_with("NOPERM"));
    CHECK(denied[0].at("conn").as_int64() == 0);
  }

  for (unsigned node = 0; node < 3; ++node) CHECK(cluster.stop(node).exited_normally(0));
  for (unsigned node = 0; node < 3; ++node) {
    const std::string text = read_file(audit_file(cluster, node));
    CHECK(text.find("value-never-recorded") == std::string::npos);
    CHECK(text.find(kProducerToken) == std::string::npos);
    CHECK(text.find(kOpsToken) == std::string::npos);
    const ProgramResult verified = verify({audit_file(cluster, node)});
    INFO(verified.out << verified.err);
    CHECK(verified.status.exited_normally(0));
  }
}

}  // namespace keepdb::integration::audit
