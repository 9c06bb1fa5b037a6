// `scripts/cluster.sh start --prod`: three nodes run profiles/prod.toml on loopback, with the
// certificates, cluster secret and token the script makes. A client over TLS with the token
// writes and reads through any node; one without a token, or with a wrong one, is refused;
// the leader's audit log records the write under the token's principal and the node that
// refused the wrong token records the failed AUTH. The plain-text port refuses to talk.
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <regex>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/redis_tools.h"
#include "tests/integration/harness/temp_dir.h"

#if !defined(KEEPDB_TLS_SO)
#error "the plugin library paths are set by tests/integration/posture/CMakeLists.txt"
#endif

namespace keepdb::integration {
namespace {

namespace fs = std::filesystem;

bool can_bind(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

// The first of three consecutive loopback ports that were free a moment ago (the script
// numbers its nodes' ports from a base).
std::uint16_t three_free_ports() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const std::uint16_t base = free_port();
    if (base < 65533 && can_bind(base + 1) && can_bind(base + 2)) return base;
  }
  throw std::runtime_error("no three consecutive free ports");
}

// The script with this test's directory, binaries and ports.
class ProdCluster {
 public:
  ProdCluster()
      : client_base_(three_free_ports()), peer_base_(three_free_ports()),
        operator_base_(three_free_ports()) {}
  ~ProdCluster() { script({"stop"}); }
  ProdCluster(const ProdCluster&) = delete;
  ProdCluster& operator=(const ProdCluster&) = delete;

  ProgramResult script(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {
        "/usr/bin/env",
        "CLUSTER_DIR=" + dir_.path().string(),
        "KEEPD=" + keepd_binary().string(),
        "PLUGIN_DIR=" + fs::path(KEEPDB_TLS_SO).parent_path().string(),
        "CLIENT_BASE=" + std::to_string(client_base_),
        "PEER_BASE=" + std::to_string(peer_base_),
        "OPERATOR_BASE=" + std::to_string(operator_base_),
        "DEADLINE_S=60",
        "/bin/bash",
        std::string(KEEPDB_SOURCE_DIR) + "/scripts/cluster.sh"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, "", 120s);
  }

  std::uint16_t client_port(int node) const { return static_cast<std::uint16_t>(client_base_ + node - 1); }
  fs::path path(const std::string& name) const { return dir_ / name; }

  // redis-cli over TLS to `node`, with `password` when it is not empty.
  ProgramResult cli(int node, const std::string& password, const std::vector<std::string>& command) const {
    std::vector<std::string> args = {"--tls", "--cacert", path("tls/ca.pem").string()};
    if (!password.empty()) {
      args.insert(args.end(), {"--no-auth-warning", "-a", password});
    }
    args.insert(args.end(), command.begin(), command.end());
    return RedisCli(client_port(node)).run(args, CliOutput::kRaw);
  }

 private:
  TempDir dir_{"prod-cluster"};
  std::uint16_t client_base_;
  std::uint16_t peer_base_;
  std::uint16_t operator_base_;
};

bool file_has_line(const fs::path& file, const std::vector<std::string>& parts) {
  const std::string text = read_file(file);
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(begin, end - begin);
    bool all = true;
    for (const std::string& part : parts) all = all && line.find(part) != std::string::npos;
    if (all) return true;
    begin = end + 1;
  }
  return false;
}

TEST_CASE("posture: the prod-profile cluster of scripts/cluster.sh serves TLS clients with a token and audits them",
          "[posture][cluster]") {
  ProdCluster cluster;
  const ProgramResult started = cluster.script({"start", "--prod"});
  INFO("cluster.sh out:\n" << started.out << "\nerr:\n" << started.err);
  REQUIRE(started.status.exited_normally(0));
  std::smatch leader_match;
  REQUIRE(std::regex_search(started.out, leader_match, std::regex("leader is node ([0-9])")));
  const int leader = std::stoi(leader_match[1]);
  const int follower = leader % 3 + 1;

  // Every node's config is the profile at level prod, and config check agrees it may start.
  const std::string config = read_file(cluster.path("node1.toml"));
  CHECK(config.find("level = \"prod\"") != std::string::npos);
  CHECK(config.find("transport = \"peer-tls\"") != std::string::npos);
  CHECK(config.find("\nsha256 = \"FILL") == std::string::npos);

  std::string token = read_file(cluster.path("ops-token"));
  while (!token.empty() && token.back() == '\n') token.pop_back();
  REQUIRE(token.size() >= 32);
  CHECK((fs::status(cluster.path("ops-token")).permissions() & fs::perms::group_all) == fs::perms::none);

  // With the token: a write through a follower, read back on the leader.
  CHECK(cluster.cli(follower, token, {"SET", "prod:key", "value"}).out == "OK\n");
  CHECK(cluster.cli(leader, token, {"GET", "prod:key"}).out == "value\n");
  CHECK(cluster.cli(leader, token, {"SET", "prod:leader", "v2"}).out == "OK\n");

  // Without a token, and with a wrong one: refused.
  CHECK_THAT(cluster.cli(leader, "", {"GET", "prod:key"}).out, Catch::Contains("NOAUTH"));
  const std::string wrong(64, 'f');
  const ProgramResult refused = cluster.cli(follower, wrong, {"GET", "prod:key"});
  CHECK_THAT(refused.out + refused.err, Catch::Contains("WRONGPASS"));

  // Plain text to a TLS port: no reply.
  const ProgramResult plain = RedisCli(cluster.client_port(leader)).run({"PING"}, CliOutput::kRaw);
  CHECK(plain.out.find("PONG") == std::string::npos);

  // The audit logs: the write under principal "ops" on the leader; the wrong token on the
  // follower it was sent to. Never the token itself.
  const fs::path leader_log = cluster.path("audit/node" + std::to_string(leader) + ".log");
  const fs::path follower_log = cluster.path("audit/node" + std::to_string(follower) + ".log");
  CHECK(poll_until([&] {
    return file_has_line(leader_log, {"\"kind\":\"write\"", "\"principal\":\"ops\""});
  }, kReplyTimeout));
  CHECK(poll_until([&] { return file_has_line(follower_log, {"\"kind\":\"auth_fail\""}); },
                   kReplyTimeout));
  for (int node = 1; node <= 3; ++node) {
    const std::string audit = read_file(cluster.path("audit/node" + std::to_string(node) + ".log"));
    CHECK(audit.find(token) == std::string::npos);
    CHECK(audit.find(wrong) == std::string::npos);
  }

  const ProgramResult stopped = cluster.script({"stop"});
  CHECK(stopped.status.exited_normally(0));
  CHECK_THAT(stopped.out, Catch::Contains("stopped 3 node(s)"));
}

}  // namespace
}  // namespace keepdb::integration
