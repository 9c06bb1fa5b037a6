// Loading valid files: every key of the schema, and the defaults when keys are absent.
#include "tests/unit/config/config_test_support.h"

namespace keepdb::config {
namespace {

using namespace std::chrono_literals;
using testing::load;
using testing::testdata;
using testing::with_storage;

TEST_CASE("config: a file setting every key loads every value", "[config]") {
  const std::filesystem::path path = testdata("full.toml");
  const Config config = load_file(path);
  const std::filesystem::path dir =
      std::filesystem::path(KEEPDB_SOURCE_DIR) / "tests/testdata/config";

  CHECK(config.source == path);
  CHECK(config.node_id == 2);
  CHECK(config.storage.data_dir == (dir / "data/node2").lexically_normal());
  CHECK(config.storage.map_size_bytes == 1ull << 30);
  CHECK(config.storage.databases == 64);
  CHECK(config.client.host == "0.0.0.0");
  CHECK(config.client.port == 7379);
  CHECK(config.client.io_threads == 4);

  CHECK(config.limits.max_bulk_bytes == 1u << 20);
  CHECK(config.limits.max_array_len == 4096);
  CHECK(config.limits.max_inline_bytes == 8192);
  CHECK(config.limits.max_request_buffer_bytes == 2u << 20);
  CHECK(config.limits.max_reply_buffer_bytes == 4u << 20);
  CHECK(config.limits.max_connections == 500);
  CHECK(config.limits.idle_timeout == 60s);
  CHECK(config.limits.request_timeout == 0ms);

  CHECK(config.plugins.dir == "/opt/keepdb/plugins");
  REQUIRE(config.plugins.load.size() == 2);
  const PluginSpec& token = config.plugins.load[0];
  CHECK(token.name == "auth-token");
  CHECK(token.path == "/opt/keepdb/plugins/libkeepdb_auth_token.so");
  CHECK(token.sha256 == "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  CHECK(token.line == 27);
  using Options = std::vector<std::pair<std::string, std::string>>;
  CHECK(token.options ==
        Options{{"secrets_file", "secrets"}, {"roles.0", "read"}, {"roles.1", "write"}});
  const PluginSpec& audit = config.plugins.load[1];
  CHECK(audit.name == "audit");
  CHECK(audit.path == "/usr/lib/keepdb/libkeepdb_audit.so");
  CHECK(audit.sha256.empty());
  CHECK(audit.options.empty());
  CHECK(audit.line == 36);

  CHECK(config.cluster.id == "prod-eu");
  CHECK(config.cluster.peer_host == "10.0.0.2");
  CHECK(config.cluster.peer_port == 7002);
  CHECK(config.cluster.secret_file == (dir / "secrets/cluster").lexically_normal());
  CHECK_FALSE(config.cluster.bootstrap);
  CHECK(config.cluster.snapshot_threshold == 4096);
  CHECK(config.cluster.snapshot_trailing == 512);
  REQUIRE(config.cluster.members.size() == 3);
  CHECK(config.cluster.members[0].id == 1);
  CHECK(config.cluster.members[0].peer_address == "10.0.0.1:7001");
  CHECK(config.cluster.members[0].client_address == "10.0.0.1:6379");
  CHECK(config.cluster.members[2].id == 3);
  CHECK(config.cluster.members[2].peer_address == "[fd00::3]:7003");

  CHECK(config.security.level == SecurityLevel::kProd);
  CHECK(config.security.accept_risks == std::vector<std::string>{"no-client-tls", "no-audit"});
}

TEST_CASE("config: absent keys take the documented defaults", "[config]") {
  const Config config = load_file(testdata("minimal.toml"));
  CHECK(config.node_id == 1);
  CHECK(config.storage.map_size_bytes == 8ull << 30);
  CHECK(config.storage.databases == 16);
  CHECK(config.client.host == "127.0.0.1");
  CHECK(config.client.port == 6379);
  CHECK(config.client.io_threads == 0);
  CHECK(config.limits.max_bulk_bytes == 16u << 20);
  CHECK(config.limits.max_array_len == 1u << 20);
  CHECK(config.limits.max_inline_bytes == 64u << 10);
  CHECK(config.limits.max_request_buffer_bytes == 64u << 20);
  CHECK(config.limits.max_reply_buffer_bytes == 64u << 20);
  CHECK(config.limits.max_connections == 10000);
  CHECK(config.limits.max_client_memory_bytes == 1u << 30);
  CHECK(config.limits.idle_timeout == 300s);
  CHECK(config.limits.request_timeout == 10s);
  CHECK(config.limits.auth_timeout == 10s);
  CHECK(config.plugins.dir.filename() == "plugins");
  CHECK(config.plugins.load.empty());
  CHECK(config.cluster.id == "keepdb");
  CHECK(config.cluster.peer_host == "127.0.0.1");
  CHECK(config.cluster.peer_port == 0);
  CHECK(config.cluster.bootstrap);
  CHECK(config.cluster.snapshot_threshold == 1024);
  CHECK(config.cluster.snapshot_trailing == 2048);
  CHECK(config.cluster.members.empty());
  CHECK(config.security.level == SecurityLevel::kDev);
  CHECK(config.security.accept_risks.empty());
}

TEST_CASE("config: empty tables keep the defaults", "[config]") {
  const Config config =
      load(with_storage("[client]\n[limits]\n[plugins]\n[cluster]\n[security]\n"));
  CHECK(config.client.port == 6379);
  CHECK(config.limits.max_connections == 10000);
  CHECK(config.cluster.members.empty());
  CHECK(config.security.accept_risks.empty());
}

TEST_CASE("config: limits accept their boundary values", "[config]") {
  const Config config =
      load(with_storage("[limits]\n"
                        "max_bulk_bytes = 536870912\n"
                        "max_array_len = 16777216\n"
                        "max_inline_bytes = 16777216\n"
                        "max_request_buffer_bytes = 536871936\n"  // max_bulk_bytes + 1024
                        "max_reply_buffer_bytes = 536871936\n"
                        "max_connections = 1000000\n"
                        "max_client_memory_bytes = 1099511627776\n"
                        "idle_timeout_ms = 86400000\n"
                        "request_timeout_ms = 0\n"
                        "auth_timeout_ms = 86400000\n"));
  CHECK(config.limits.max_bulk_bytes == 512u << 20);
  CHECK(config.limits.max_request_buffer_bytes == (512u << 20) + 1024);
  CHECK(config.limits.max_connections == 1'000'000);
  CHECK(config.limits.max_client_memory_bytes == 1ull << 40);
  CHECK(config.limits.idle_timeout == 24h);
  CHECK(config.limits.request_timeout == 0ms);
  CHECK(config.limits.auth_timeout == 24h);
  CHECK(load(with_storage("[limits]\nauth_timeout_ms = 0\n")).limits.auth_timeout == 0ms);
  CHECK(load(with_storage("[limits]\nmax_client_memory_bytes = 0\n"))
            .limits.max_client_memory_bytes == 0);
  CHECK(load(with_storage("[limits]\nmax_client_memory_bytes = 1048576\n"))
            .limits.max_client_memory_bytes == 1u << 20);
}

TEST_CASE("config: inline tables and dotted keys are the same as table headers", "[config]") {
  const Config config = load(
      "storage = { data_dir = \"/srv/keepdb\" }\n"
      "client.port = 7000\n");
  CHECK(config.storage.data_dir == "/srv/keepdb");
  CHECK(config.client.port == 7000);
}

TEST_CASE("config: a UTF-8 byte-order mark and CRLF line ends are accepted", "[config]") {
  const Config config = load("\xEF\xBB\xBFnode_id = 3\r\n[storage]\r\ndata_dir = \"/d\"\r\n");
  CHECK(config.node_id == 3);
  CHECK(config.storage.data_dir == "/d");
}

}  // namespace
}  // namespace keepdb::config
