// [cluster] and [[cluster.member]]: ids, addresses, this node's place in the roster, the
// cluster secret a peer listener requires, and the log-compaction keys.
#include "tests/unit/config/config_test_support.h"

namespace keepdb::config {
namespace {

using testing::error_of;
using testing::load;
using testing::with_storage;

std::string member(std::uint64_t id, std::string_view peer, std::string_view client) {
  return "[[cluster.member]]\nid = " + std::to_string(id) + "\npeer = \"" + std::string(peer) +
         "\"\nclient = \"" + std::string(client) + "\"\n";
}

TEST_CASE("config: a three-member roster loads in file order", "[config][cluster]") {
  const Config config = load(
      with_storage("node_id = 3\n[cluster]\npeer_port = 7003\nsecret_file = \"s\"\n" +
                   member(3, "h3:7003", "h3:6379") +
                   member(1, "h1:7001", "h1:6379") + member(2, "h2:7002", "h2:6379")));
  REQUIRE(config.cluster.members.size() == 3);
  CHECK(config.cluster.members[0].id == 3);
  CHECK(config.cluster.members[1].peer_address == "h1:7001");
  CHECK(config.cluster.members[2].client_address == "h2:6379");
}

TEST_CASE("config: a one-member roster may leave the peer listener off", "[config][cluster]") {
  const Config config = load(with_storage("[cluster]\n" + member(1, "h:7001", "h:6379")));
  CHECK(config.cluster.peer_port == 0);
  CHECK(config.cluster.members.size() == 1);
}

TEST_CASE("config: member ids and peer addresses must be unique", "[config][cluster]") {
  CHECK(error_of(with_storage("[cluster]\npeer_port = 7001\n" + member(1, "a:1", "a:2") +
                              member(1, "b:1", "b:2"))) ==
        "test.toml:8: cluster.member[1].id: duplicate member id 1 (first at line 4)");
  CHECK(error_of(with_storage("[cluster]\npeer_port = 7001\n" + member(1, "a:1", "a:2") +
                              member(2, "a:1", "b:2"))) ==
        "test.toml:9: cluster.member[1].peer: duplicate peer address 'a:1' (first at line 5)");
}

TEST_CASE("config: this node must be in a non-empty roster", "[config][cluster]") {
  CHECK(error_of(with_storage("node_id = 4\n[cluster]\npeer_port = 7001\n" +
                              member(1, "a:1", "a:2") + member(2, "b:1", "b:2"))) ==
        "test.toml:1: node_id: this node (4) is not among the cluster.member ids");
  // Without node_id the default id 1 must be listed; the error points at the file start.
  CHECK(error_of(with_storage("[cluster]\n" + member(2, "b:1", "b:2"))) ==
        "test.toml:1: node_id: this node (1) is not among the cluster.member ids");
}

TEST_CASE("config: a multi-member roster needs a peer listener", "[config][cluster]") {
  CHECK(error_of(with_storage("[cluster]\n" + member(1, "a:1", "a:2") + member(2, "b:1", "b:2"))) ==
        "test.toml:1: cluster.peer_port: must be set (1..65535) when the cluster has more than "
        "one member");
}

TEST_CASE("config: a peer listener needs the cluster secret file", "[config][cluster]") {
  const Config with_secret =
      load(with_storage("[cluster]\npeer_port = 7001\nsecret_file = \"keys/cluster\""));
  CHECK(with_secret.cluster.secret_file.is_absolute());
  CHECK(with_secret.cluster.secret_file.filename() == "cluster");
  CHECK(load(with_storage("[cluster]\npeer_port = 0")).cluster.secret_file.empty());

  CHECK_THAT(error_of(with_storage("[cluster]\npeer_port = 7001")),
             Catch::StartsWith("test.toml:1: cluster.secret_file: required with a peer listener"));
  CHECK_THAT(error_of(with_storage("[cluster]\npeer_port = 7001\nsecret_file = \"\"")),
             Catch::EndsWith("cluster.secret_file: must not be empty"));
  // Without a secret only by naming the risk, and only on loopback.
  const std::string risk = "[security]\naccept_risks = [\"no-peer-secret\"]\n";
  const Config loopback =
      load(with_storage(risk + "[cluster]\npeer_host = \"127.0.0.2\"\npeer_port = 7001"));
  CHECK(loopback.cluster.secret_file.empty());
  CHECK_NOTHROW(load(with_storage(risk + "[cluster]\npeer_host = \"::1\"\npeer_port = 7001")));
  CHECK_THAT(error_of(with_storage(risk + "[cluster]\npeer_host = \"0.0.0.0\"\npeer_port = 7001")),
             Catch::Contains("cluster.secret_file: required: accept_risks \"no-peer-secret\" is "
                             "allowed only with a loopback peer_host, and this one is '0.0.0.0'"));
}

TEST_CASE("config: snapshot threshold and trailing accept their boundary values",
          "[config][cluster]") {
  const Config smallest =
      load(with_storage("[cluster]\nsnapshot_threshold = 2\nsnapshot_trailing = 0"));
  CHECK(smallest.cluster.snapshot_threshold == 2);
  CHECK(smallest.cluster.snapshot_trailing == 0);
  const Config largest = load(
      with_storage("[cluster]\nsnapshot_threshold = 1000000000\nsnapshot_trailing = 1000000000"));
  CHECK(largest.cluster.snapshot_threshold == 1'000'000'000);
  CHECK(largest.cluster.snapshot_trailing == 1'000'000'000);
}

TEST_CASE("config: snapshot_threshold_bytes defaults to 16 MiB and is 1 MiB..64 GiB",
          "[config][cluster]") {
  CHECK(load(with_storage("")).cluster.snapshot_threshold_bytes == 16u << 20);
  CHECK(load(with_storage("[cluster]\nsnapshot_threshold_bytes = 1048576"))
            .cluster.snapshot_threshold_bytes == 1u << 20);
  CHECK(load(with_storage("[cluster]\nsnapshot_threshold_bytes = 68719476736"))
            .cluster.snapshot_threshold_bytes == 64ull << 30);
  CHECK_THAT(error_of(with_storage("[cluster]\nsnapshot_threshold_bytes = 1048575")),
             Catch::Contains("cluster.snapshot_threshold_bytes: must be between 1048576 and "
                             "68719476736"));
}

TEST_CASE("config: member keys are required, with valid ids and host:port addresses",
          "[config][cluster]") {
  const auto one_member = [](std::string_view body) {
    return with_storage("[[cluster.member]]\n" + std::string(body));
  };
  CHECK(error_of(one_member("peer = \"a:1\"\nclient = \"a:2\"")) ==
        "test.toml:1: cluster.member[0].id: required key is missing");
  CHECK(error_of(one_member("id = 0")) == "test.toml:2: cluster.member[0].id: must be at least 1");
  CHECK(error_of(one_member("id = 1\nclient = \"a:2\"")) ==
        "test.toml:1: cluster.member[0].peer: required key is missing");
  CHECK(error_of(one_member("id = 1\npeer = \"a:1\"")) ==
        "test.toml:1: cluster.member[0].client: required key is missing");

  const auto peer_error = [&](std::string_view address) {
    return error_of(
        one_member("id = 1\npeer = \"" + std::string(address) + "\"\nclient = \"a:2\""));
  };
  const std::string at = "test.toml:3: cluster.member[0].peer: ";
  CHECK(peer_error("hostonly") == at + "expected host:port, got 'hostonly'");
  CHECK(peer_error(":7001") == at + "host is empty in ':7001'");
  CHECK(peer_error("a b:7001") == at + "host contains whitespace in 'a b:7001'");
  CHECK(peer_error("::1:7001") ==
        at + "an IPv6 host must be in brackets, e.g. '[::1]:7001', got '::1:7001'");
  for (const std::string_view bad_port :
       {"h:0", "h:65536", "h:", "h:x1", "h:-1", "h:99999999999"}) {
    CHECK(peer_error(bad_port) ==
          at + "port must be between 1 and 65535 in '" + std::string(bad_port) + "'");
  }
  CHECK_NOTHROW(load(one_member("id = 1\npeer = \"[::1]:65535\"\nclient = \"localhost:1\"")));
}

}  // namespace
}  // namespace keepdb::config
