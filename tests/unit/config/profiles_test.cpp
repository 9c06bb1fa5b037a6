// The shipped profiles (profiles/dev.toml, profiles/prod.toml) load with this loader.
#include "tests/unit/config/config_test_support.h"

namespace keepdb::config {
namespace {

namespace fs = std::filesystem;
const fs::path kProfiles = fs::path(KEEPDB_SOURCE_DIR) / "profiles";

TEST_CASE("config: profiles/dev.toml: loopback, ./data/dev, no plugins, single node",
          "[config][profiles]") {
  const Config config = load_file(kProfiles / "dev.toml");
  CHECK(config.node_id == 1);
  CHECK(config.client.host == "127.0.0.1");
  CHECK(config.client.port == 6379);
  CHECK(config.storage.data_dir == fs::path(KEEPDB_SOURCE_DIR) / "data/dev");
  CHECK(config.plugins.load.empty());
  CHECK(config.cluster.members.empty());
  CHECK(config.cluster.peer_port == 0);
}

TEST_CASE("config: profiles/prod.toml: all interfaces, /var/lib/keepdb", "[config][profiles]") {
  const Config config = load_file(kProfiles / "prod.toml");
  CHECK(config.client.host == "0.0.0.0");
  CHECK(config.client.port == 6379);
  CHECK(config.storage.data_dir == "/var/lib/keepdb");
  CHECK(config.security.accept_risks.empty());
}

}  // namespace
}  // namespace keepdb::config
