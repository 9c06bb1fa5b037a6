// Relative paths: against the config file's directory (load_file) or the current directory
// (load_string); results are absolute and lexically normal.
#include "tests/unit/config/config_test_support.h"

namespace keepdb::config {
namespace {

namespace fs = std::filesystem;
using testing::load;
using testing::testdata;

TEST_CASE("config: relative paths resolve against the config file's directory", "[config][paths]") {
  const fs::path nested = fs::path(testdata("nested"));
  for (const fs::path& file : {nested / "relative.toml", fs::relative(nested / "relative.toml")}) {
    INFO("loading " << file);
    const Config config = load_file(file);
    CHECK(config.source == file);
    CHECK(config.storage.data_dir == testdata("data/relative"));
    CHECK(config.plugins.dir == nested / "plugins");
    REQUIRE(config.plugins.load.size() == 1);
    CHECK(config.plugins.load[0].path == nested / "plugins/sub/libp.so");
  }
}

TEST_CASE("config: load_string resolves relative paths against the current directory",
          "[config][paths]") {
  const Config config = load("[storage]\ndata_dir = \"./a/../data\"\n");
  CHECK(config.source == "test.toml");
  CHECK(config.storage.data_dir == fs::current_path() / "data");
  CHECK(config.plugins.dir == fs::current_path() / "plugins");
}

TEST_CASE("config: absolute paths are kept, normalized", "[config][paths]") {
  const Config config = load(
      "[storage]\ndata_dir = \"/var/lib//keepdb/./x/..\"\n"
      "[plugins]\ndir = \"/usr/lib/keepdb\"\n");
  CHECK(config.storage.data_dir == "/var/lib/keepdb/");
  CHECK(config.plugins.dir == "/usr/lib/keepdb");
}

TEST_CASE("config: the raft log lives in data_dir/raft unless storage.log_dir names a directory",
          "[config][paths]") {
  CHECK(load("[storage]\ndata_dir = \"/srv/data\"\n").storage.log_dir == "/srv/data/raft");
  CHECK(load("[storage]\ndata_dir = \"/srv/data\"\nlog_dir = \"/wal/keepdb\"\n").storage.log_dir ==
        "/wal/keepdb");
  CHECK(load("[storage]\ndata_dir = \"/srv/data\"\nlog_dir = \"./wal/../log\"\n").storage.log_dir ==
        fs::current_path() / "log");
  const std::string as_default =
      "[storage]\ndata_dir = \"/srv/data\"\nlog_dir = \"/srv/data/raft\"\n";
  CHECK(load(as_default).storage.log_dir == "/srv/data/raft");
  CHECK_FALSE(load(as_default).storage.log_dir_of_its_own());
}

}  // namespace
}  // namespace keepdb::config
