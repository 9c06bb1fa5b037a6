// The reload diff: which changed settings need a restart (each named), which apply at run
// time, and that apply_runtime() leaves the running config equal to the new one.
#include "kernel/config/reload_diff.h"

#include "tests/unit/config/config_test_support.h"

namespace keepdb::config {
namespace {

using testing::load;
using testing::with_storage;

const std::string kBase =
    "node_id = 1\n"
    "[client]\nport = 6400\n"
    "[limits]\nmax_connections = 100\nidle_timeout_ms = 1000\n"
    "[plugins]\ndir = \"plugins\"\n"
    "[[plugin]]\nname = \"tokens\"\npath = \"libkeepdb_auth_token.so\"\n"
    "[plugin.options]\nsecrets_file = \"tokens\"\n";

std::vector<std::string> restart_for(const std::string& next) {
  return restart_required(load(with_storage(kBase)), load(with_storage(next)));
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("reload diff: an unchanged file needs no restart", "[config][reload]") {
  CHECK(restart_for(kBase).empty());
}

TEST_CASE("reload diff: run-time limits and plugin options apply without a restart",
          "[config][reload]") {
  const std::string next =
      replaced(replaced(replaced(kBase, "max_connections = 100", "max_connections = 5"),
                        "idle_timeout_ms = 1000", "idle_timeout_ms = 50\nmax_keys_visited = 7"),
               "secrets_file = \"tokens\"", "secrets_file = \"tokens2\"\nmin_token_length = 20");
  CHECK(restart_for(next).empty());
  Config running = load(with_storage(kBase));
  const Config target = load(with_storage(next));
  apply_runtime(running, target);
  CHECK(running == target);
  CHECK(running.limits.max_connections == 5);
  CHECK(running.limits.idle_timeout == std::chrono::milliseconds(50));
  CHECK(running.plugins.load[0].options.size() == 2);
}

TEST_CASE("reload diff: each setting fixed at start is named", "[config][reload]") {
  CHECK(restart_for(replaced(kBase, "node_id = 1", "node_id = 2")) ==
        std::vector<std::string>{"node_id"});
  CHECK(restart_required(load(with_storage(kBase)),
                         load(kBase + "\n[storage]\ndata_dir = \"data\"\nlog_dir = \"/wal\"\n")) ==
        std::vector<std::string>{"storage.log_dir"});
  CHECK(restart_for(replaced(kBase, "port = 6400", "port = 6401")) ==
        std::vector<std::string>{"client.port"});
  CHECK(restart_for(replaced(kBase, "port = 6400", "port = 6400\nhost = \"0.0.0.0\"")) ==
        std::vector<std::string>{"client.host"});
  CHECK(restart_for(replaced(kBase, "port = 6400", "port = 6400\nio_threads = 2")) ==
        std::vector<std::string>{"client.io_threads"});
  CHECK(restart_for(replaced(kBase, "max_connections = 100",
                             "max_connections = 100\nmax_bulk_bytes = 4096")) ==
        std::vector<std::string>{"limits.max_bulk_bytes"});
  // Libraries are found in plugins.dir, so each [[plugin]] path moves with it.
  CHECK(restart_for(replaced(kBase, "dir = \"plugins\"", "dir = \"elsewhere\"")) ==
        std::vector<std::string>{
            "plugins.dir",
            "the set of [[plugin]] tables (name, path, sha256, fail_closed, order)"});
  CHECK(restart_for(replaced(kBase, "dir = \"plugins\"", "dir = \"plugins\"\nauth_deadline_ms = 500")) ==
        std::vector<std::string>{"plugins.auth_deadline_ms"});
  CHECK(restart_for(kBase + "\n[cluster]\nsnapshot_threshold = 10\n") ==
        std::vector<std::string>{"cluster.snapshot_threshold"});
  CHECK(restart_for(kBase + "\n[security]\naccept_risks = [\"no-client-tls\"]\n") ==
        std::vector<std::string>{"security.accept_risks"});
}

TEST_CASE("reload diff: the set of plugins is fixed, their options are not", "[config][reload]") {
  const std::string plugin_set = "the set of [[plugin]] tables (name, path, sha256, fail_closed, order)";
  CHECK(restart_for(replaced(kBase, "name = \"tokens\"", "name = \"keys\"")) ==
        std::vector<std::string>{plugin_set});
  CHECK(restart_for(replaced(kBase, "libkeepdb_auth_token.so", "libother.so")) ==
        std::vector<std::string>{plugin_set});
  CHECK(restart_for(kBase + "[[plugin]]\nname = \"b\"\npath = \"libb.so\"\n") ==
        std::vector<std::string>{plugin_set});
  // A comment moves the [[plugin]] header to another line: not a change.
  CHECK(restart_for("# moved\n" + kBase).empty());
}

TEST_CASE("reload diff: several changes are all named, in a stable order", "[config][reload]") {
  CHECK(restart_for(replaced(replaced(kBase, "node_id = 1", "node_id = 3"), "port = 6400",
                             "port = 6401")) ==
        std::vector<std::string>{"node_id", "client.port"});
}

}  // namespace keepdb::config
