// The shipped profiles (profiles/dev.toml, profiles/prod.toml) with this loader.
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

// Filled in, it passes the posture check: tests/unit/config/posture_test.cpp.
TEST_CASE("config: profiles/prod.toml refuses to load until its sha256 placeholders are filled",
          "[config][profiles]") {
  try {
    load_file(kProfiles / "prod.toml");
    FAIL("profiles/prod.toml loaded with its placeholders");
  } catch (const ConfigError& error) {
    CHECK_THAT(error.what(), Catch::Contains("sha256: must be 64 hexadecimal characters"));
  }
}

}  // namespace
}  // namespace keepdb::config
