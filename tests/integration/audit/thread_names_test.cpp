// keepd names its threads, so that `top -H`, `ps -L` and `perf` tell them apart
// (docs/architecture.md, "Threads"): a node with two I/O threads and plugins/audit's file sink
// under fsync = "interval_ms" shows each of its threads by name in /proc.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/audit/audit_records.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::audit {
namespace {

std::vector<std::string> thread_names(pid_t pid) {
  std::vector<std::string> names;
  const auto tasks = std::filesystem::path("/proc") / std::to_string(pid) / "task";
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("keepd names its threads", "[audit][threads]") {
  seams::SeamsSetup setup({PluginTable("audit", audit_plugin(),
                                       {{"path", "audit.log"}, {"fsync", "interval_ms"}})});
  setup.client_lines = "io_threads = 2\n";
  seams::SeamsKeepd keepd(std::move(setup));
  keepd.start();
  REQUIRE(RawClient(keepd.port()).command({"SET", "k", "v"}).text == "OK");

  const std::vector<std::string> names = thread_names(keepd.pid());
  INFO("threads: " << Catch::Detail::stringify(names));
  for (const char* expected : {"keepd", "keepd-log", "keepd-snapshot", "keepd-io-1",
                               "keepd-io-2", "keepd-audit", "audit-fsync"}) {
    CHECK(std::count(names.begin(), names.end(), expected) == 1);
  }
}

}  // namespace keepdb::integration::audit
