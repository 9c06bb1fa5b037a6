// Invalid files: every error is one "FILE:LINE: KEY: message" line naming the right key and
// line, for ranges, unknown keys, wrong types, missing keys, syntax and file problems.
#include "tests/unit/config/config_test_support.h"

#include <filesystem>
#include <fstream>

namespace keepdb::config {
namespace {

using testing::error_of;
using testing::load;
using testing::testdata;
using testing::with_storage;

struct ErrorCase {
  std::string text;
  std::string expected;  // the whole what()
};

void check_errors(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& error_case : cases) {
    INFO("config text:\n" << error_case.text);
    CHECK(error_of(error_case.text) == error_case.expected);
  }
}

TEST_CASE("config: every value range is enforced", "[config][errors]") {
  const auto limit = [](std::string_view line) {
    return with_storage("[limits]\n" + std::string(line));
  };
  check_errors({
      {with_storage("node_id = 0"), "test.toml:1: node_id: must be at least 1"},
      {with_storage("node_id = -5"), "test.toml:1: node_id: must be at least 1"},
      {"[storage]\ndata_dir = \"d\"\nmap_size_bytes = 1048575",
       "test.toml:3: storage.map_size_bytes: must be at least 1048576"},
      {"[storage]\ndata_dir = \"d\"\ndatabases = 0",
       "test.toml:3: storage.databases: must be between 1 and 256"},
      {"[storage]\ndata_dir = \"d\"\ndatabases = 257",
       "test.toml:3: storage.databases: must be between 1 and 256"},
      {"[storage]\ndata_dir = \"/d\"\nlog_dir = \"/d\"",
       "test.toml:3: storage.log_dir: must not be inside storage.data_dir (/d) except as its raft "
       "folder, the default; name a directory of its own"},
      {"[storage]\ndata_dir = \"/d\"\nlog_dir = \"/d/kv/log\"",
       "test.toml:3: storage.log_dir: must not be inside storage.data_dir (/d) except as its raft "
       "folder, the default; name a directory of its own"},
      {"[storage]\ndata_dir = \"/d/node\"\nlog_dir = \"/d\"",
       "test.toml:3: storage.log_dir: must not hold storage.data_dir (/d/node); name a directory "
       "of its own"},
      {"[storage]\ndata_dir = \"/d\"\nlog_dir = \"\"",
       "test.toml:3: storage.log_dir: must not be empty"},
      {with_storage("[client]\nport = 0"), "test.toml:2: client.port: must be between 1 and 65535"},
      {with_storage("[client]\nport = 65536"),
       "test.toml:2: client.port: must be between 1 and 65535"},
      {with_storage("[client]\nio_threads = -1"),
       "test.toml:2: client.io_threads: must be between 0 and 64"},
      {with_storage("[client]\nio_threads = 65"),
       "test.toml:2: client.io_threads: must be between 0 and 64"},
      {with_storage("[cluster]\npeer_port = -1"),
       "test.toml:2: cluster.peer_port: must be between 0 and 65535"},
      {with_storage("[cluster]\npeer_port = 65536"),
       "test.toml:2: cluster.peer_port: must be between 0 and 65535"},
      {with_storage("[cluster]\nsnapshot_threshold = 1"),
       "test.toml:2: cluster.snapshot_threshold: must be between 2 and 1000000000"},
      {with_storage("[cluster]\nsnapshot_threshold = 1000000001"),
       "test.toml:2: cluster.snapshot_threshold: must be between 2 and 1000000000"},
      {with_storage("[cluster]\nsnapshot_trailing = -1"),
       "test.toml:2: cluster.snapshot_trailing: must be between 0 and 1000000000"},
      {with_storage("[cluster]\nsnapshot_trailing = 1000000001"),
       "test.toml:2: cluster.snapshot_trailing: must be between 0 and 1000000000"},
      {limit("max_bulk_bytes = 0"),
       "test.toml:2: limits.max_bulk_bytes: must be between 1 and 536870912"},
      {limit("max_bulk_bytes = 536870913"),
       "test.toml:2: limits.max_bulk_bytes: must be between 1 and 536870912"},
      {limit("max_array_len = 0"),
       "test.toml:2: limits.max_array_len: must be between 1 and 16777216"},
      {limit("max_array_len = 16777217"),
       "test.toml:2: limits.max_array_len: must be between 1 and 16777216"},
      {limit("max_inline_bytes = 0"),
       "test.toml:2: limits.max_inline_bytes: must be between 1 and 16777216"},
      {limit("max_inline_bytes = 16777217"),
       "test.toml:2: limits.max_inline_bytes: must be between 1 and 16777216"},
      {limit("max_request_buffer_bytes = 0"),
       "test.toml:2: limits.max_request_buffer_bytes: must be between 1 and 1073741824"},
      {limit("max_request_buffer_bytes = 1073741825"),
       "test.toml:2: limits.max_request_buffer_bytes: must be between 1 and 1073741824"},
      {limit("max_reply_buffer_bytes = 0"),
       "test.toml:2: limits.max_reply_buffer_bytes: must be between 1 and 1073741824"},
      {limit("max_reply_buffer_bytes = 1073741825"),
       "test.toml:2: limits.max_reply_buffer_bytes: must be between 1 and 1073741824"},
      {limit("max_connections = 0"),
       "test.toml:2: limits.max_connections: must be between 1 and 1000000"},
      {limit("max_connections = 1000001"),
       "test.toml:2: limits.max_connections: must be between 1 and 1000000"},
      {limit("max_client_memory_bytes = -1"),
       "test.toml:2: limits.max_client_memory_bytes: must be between 0 and 1099511627776"},
      {limit("max_client_memory_bytes = 1099511627777"),
       "test.toml:2: limits.max_client_memory_bytes: must be between 0 and 1099511627776"},
      {limit("max_client_memory_bytes = 1048575"),
       "test.toml:2: limits.max_client_memory_bytes: must be 0 (no limit) or between 1048576 and "
       "1099511627776"},
      {limit("idle_timeout_ms = -1"),
       "test.toml:2: limits.idle_timeout_ms: must be between 0 and 86400000"},
      {limit("idle_timeout_ms = 86400001"),
       "test.toml:2: limits.idle_timeout_ms: must be between 0 and 86400000"},
      {limit("request_timeout_ms = -1"),
       "test.toml:2: limits.request_timeout_ms: must be between 0 and 86400000"},
      {limit("request_timeout_ms = 86400001"),
       "test.toml:2: limits.request_timeout_ms: must be between 0 and 86400000"},
      {limit("auth_timeout_ms = -1"),
       "test.toml:2: limits.auth_timeout_ms: must be between 0 and 86400000"},
      {limit("auth_timeout_ms = 86400001"),
       "test.toml:2: limits.auth_timeout_ms: must be between 0 and 86400000"},
  });
}

TEST_CASE("config: buffers must hold a maximal request and a maximal value", "[config][errors]") {
  check_errors({
      {with_storage("[limits]\nmax_bulk_bytes = 1048576\nmax_request_buffer_bytes = 1049599"),
       "test.toml:3: limits.max_request_buffer_bytes: must be at least max(max_bulk_bytes + "
       "1024, max_inline_bytes) = 1049600 so a maximal request fits"},
      {with_storage("[limits]\nmax_bulk_bytes = 1024\nmax_inline_bytes = 16777216\n"
                    "max_request_buffer_bytes = 16777215"),
       "test.toml:4: limits.max_request_buffer_bytes: must be at least max(max_bulk_bytes + "
       "1024, max_inline_bytes) = 16777216 so a maximal request fits"},
      {with_storage("[limits]\nmax_bulk_bytes = 104857600"),  // default buffers are 64 MiB
       "test.toml:1: limits.max_request_buffer_bytes: must be at least max(max_bulk_bytes + "
       "1024, max_inline_bytes) = 104858624 so a maximal request fits"},
      {with_storage("[limits]\nmax_bulk_bytes = 1048576\nmax_reply_buffer_bytes = 1049599"),
       "test.toml:3: limits.max_reply_buffer_bytes: must be at least max_bulk_bytes + 1024 = "
       "1049600 so a maximal value can be read back"},
  });
}

TEST_CASE("config: unknown keys are named, with the closest known key", "[config][errors]") {
  check_errors({
      {with_storage("[limts]\nmax_bulk_bytes = 1"),
       "test.toml:1: limts: unknown key 'limts'; did you mean 'limits'?"},
      {with_storage("nodeid = 1"),
       "test.toml:1: nodeid: unknown key 'nodeid'; did you mean 'node_id'?"},
      {with_storage("[limits]\nmax_bulk_byte = 5"),
       "test.toml:2: limits.max_bulk_byte: unknown key 'max_bulk_byte'; did you mean "
       "'max_bulk_bytes'?"},
      {with_storage("[client]\nlisten = \"x\""),
       "test.toml:2: client.listen: unknown key 'listen'"},
      {"[storage]\ndata_dir = \"d\"\ndatadir = \"e\"",
       "test.toml:3: storage.datadir: unknown key 'datadir'; did you mean 'data_dir'?"},
      {with_storage("[[plugin]]\nname = \"a\"\npth = \"p\""),
       "test.toml:3: plugin[0].pth: unknown key 'pth'; did you mean 'path'?"},
      {with_storage("[cluster]\n[[cluster.member]]\nid = 1\nclinet = \"h:1\""),
       "test.toml:4: cluster.member[0].clinet: unknown key 'clinet'; did you mean 'client'?"},
      {with_storage("[cluster]\nsnapshot_treshold = 64"),
       "test.toml:2: cluster.snapshot_treshold: unknown key 'snapshot_treshold'; did you mean "
       "'snapshot_threshold'?"},
      {with_storage("[security]\naccept_risk = []"),
       "test.toml:2: security.accept_risk: unknown key 'accept_risk'; did you mean "
       "'accept_risks'?"},
      // The first unknown key in file order, not in key order.
      {with_storage("zzz = 1\naaa = 2"), "test.toml:1: zzz: unknown key 'zzz'"},
  });
}

TEST_CASE("config: an unknown table is reported before the keys it was meant to hold",
          "[config][errors]") {
  CHECK(error_of("[storag]\ndata_dir = \"d\"") ==
        "test.toml:1: storag: unknown key 'storag'; did you mean 'storage'?");
}

TEST_CASE("config: values of the wrong type are named with both types", "[config][errors]") {
  check_errors({
      {with_storage("node_id = \"1\""),
       "test.toml:1: node_id: wrong type: expected integer, got string"},
      {with_storage("[client]\nport = 6379.0"),
       "test.toml:2: client.port: wrong type: expected integer, got floating-point"},
      {with_storage("[client]\nhost = 127"),
       "test.toml:2: client.host: wrong type: expected string, got integer"},
      {with_storage("[cluster]\nbootstrap = \"yes\""),
       "test.toml:2: cluster.bootstrap: wrong type: expected boolean, got string"},
      {with_storage("[cluster]\nsnapshot_threshold = \"64\""),
       "test.toml:2: cluster.snapshot_threshold: wrong type: expected integer, got string"},
      {with_storage("[cluster]\nsnapshot_trailing = 1e3"),
       "test.toml:2: cluster.snapshot_trailing: wrong type: expected integer, got floating-point"},
      {"storage = 5", "test.toml:1: storage: wrong type: expected table, got integer"},
      {with_storage("limits = [1]"), "test.toml:1: limits: wrong type: expected table, got array"},
      {with_storage("plugin = 1"),
       "test.toml:1: plugin: wrong type: expected array of tables, got integer"},
      {with_storage("[plugin]\nname = \"a\""),
       "test.toml:1: plugin: wrong type: expected array of tables, got table"},
      {with_storage("plugin = [\n  1,\n]"),
       "test.toml:2: plugin[0]: wrong type: expected table, got integer"},
      {with_storage("[security]\naccept_risks = \"no-client-tls\""),
       "test.toml:2: security.accept_risks: wrong type: expected array of strings, got string"},
      {with_storage("[security]\naccept_risks = [\"no-client-tls\",\n  1]"),
       "test.toml:3: security.accept_risks[1]: wrong type: expected string, got integer"},
  });
}

TEST_CASE("config: missing and empty required keys are errors", "[config][errors]") {
  check_errors({
      {"node_id = 1", "test.toml:1: storage.data_dir: required key is missing"},
      {"node_id = 1\n[storage]\nmap_size_bytes = 1048576",
       "test.toml:2: storage.data_dir: required key is missing"},
      {"[storage]\ndata_dir = \"\"", "test.toml:2: storage.data_dir: must not be empty"},
      {with_storage("[client]\nhost = \"\""), "test.toml:2: client.host: must not be empty"},
      {with_storage("[plugins]\ndir = \"\""), "test.toml:2: plugins.dir: must not be empty"},
      {with_storage("[cluster]\nid = \"\""), "test.toml:2: cluster.id: must not be empty"},
  });
}

TEST_CASE("config: security.accept_risks entries are non-empty and unique", "[config][errors]") {
  check_errors({
      {with_storage("[security]\naccept_risks = [\"no-client-tls\", \"\"]"),
       "test.toml:2: security.accept_risks: entries must not be empty"},
      {with_storage(
           "[security]\naccept_risks = [\"no-client-tls\", \"no-audit\", \"no-client-tls\"]"),
       "test.toml:2: security.accept_risks: 'no-client-tls' is listed twice"},
  });
}

TEST_CASE("config: TOML syntax errors carry toml++'s line and description, without a key",
          "[config][errors]") {
  const std::string missing_value = error_of("node_id = 1\n\nclient = \n");
  CHECK_THAT(missing_value, Catch::StartsWith("test.toml:3: Error while parsing"));
  CHECK(error_of("node_id = 1\nnode_id = 2\n").rfind("test.toml:2: ", 0) == 0);
  CHECK(error_of("[storage]\ndata_dir = \"d\"\n[storage]\n").rfind("test.toml:3: ", 0) == 0);
}

TEST_CASE("config: every error text is a single line, even for keys with escaped newlines",
          "[config][errors]") {
  CHECK(error_of(with_storage("\"a\\nb\" = 1")) == "test.toml:1: a\\x0ab: unknown key 'a\\x0ab'");
}

TEST_CASE("config: files are read in full up to 1 MiB and refused beyond", "[config][errors]") {
  const std::string head = with_storage("");
  std::string exactly_1mib = head + "#" + std::string((1u << 20) - head.size() - 2, 'x') + "\n";
  REQUIRE(exactly_1mib.size() == 1u << 20);
  CHECK_NOTHROW(load(exactly_1mib));
  CHECK(error_of(exactly_1mib + "\n") == "test.toml: larger than 1 MiB; refused");

  const auto path = std::filesystem::temp_directory_path() / "keepdb_config_too_large.toml";
  std::ofstream(path, std::ios::binary) << exactly_1mib << "\n";
  CHECK_THROWS_WITH(load_file(path), path.string() + ": larger than 1 MiB; refused");
  std::filesystem::remove(path);
}

TEST_CASE("config: unreadable paths are ConfigErrors naming the file", "[config][errors]") {
  const std::string missing = testdata("does-not-exist.toml");
  CHECK_THROWS_WITH(load_file(missing), missing + ": cannot open: No such file or directory");
  const std::string directory = testdata("");
  CHECK_THROWS_WITH(load_file(directory), directory + ": is a directory");
}

}  // namespace
}  // namespace keepdb::config
