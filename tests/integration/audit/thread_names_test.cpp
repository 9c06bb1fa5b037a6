// keepd names its threads, so that `top -H`, `ps -L` and `perf` tell them apart
// (docs/architecture.md, "Threads"): a node with two I/O threads, plugins/auth-token and
// plugins/audit's file sink under fsync = "interval_ms" shows each of its threads by name in
// /proc, and only the network thread as "keepd" (beside ThreadSanitizer's own thread in a
// TSan build).
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

constexpr char kOpsToken[] = "ops-token-3f81c6a09d2e57b4";

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

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer's runtime runs a background thread of its own, named as the process is.
constexpr long kUnnamedThreads = 2;
#else
constexpr long kUnnamedThreads = 1;  // the network thread
#endif

}  // namespace

TEST_CASE("keepd names its threads", "[audit][threads]") {
  seams::SeamsSetup setup(
      {PluginTable("tokens", auth_token_plugin(), {{"secrets_file", "secrets"}}),
       PluginTable("audit", audit_plugin(), {{"path", "audit.log"}, {"fsync", "interval_ms"}})});
  setup.client_lines = "io_threads = 2\n";
  seams::SeamsKeepd keepd(std::move(setup));
  write_file(keepd.dir() / "secrets", secrets_line(kOpsToken, "read,write,admin", "ops"));
  std::filesystem::permissions(keepd.dir() / "secrets", std::filesystem::perms::owner_read |
                                                            std::filesystem::perms::owner_write);
  keepd.start();
  RawClient client(keepd.port());
  REQUIRE(client.command({"AUTH", kOpsToken}).text == "OK");
  REQUIRE(client.command({"SET", "k", "v"}).text == "OK");

  const std::vector<std::string> names = thread_names(keepd.pid());
  INFO("threads: " << Catch::Detail::stringify(names));
  CHECK(std::count(names.begin(), names.end(), "keepd") == kUnnamedThreads);
  for (const char* expected : {"keepd-log", "keepd-snapshot", "keepd-io-1", "keepd-io-2",
                               "keepd-audit", "audit-fsync", "keepd-authtimer"}) {
    CHECK(std::count(names.begin(), names.end(), expected) == 1);
  }
  // The authenticator's pool: two workers (plugin_host::AuthChainOptions::threads).
  CHECK(std::count(names.begin(), names.end(), "keepd-auth-1") == 2);
}

TEST_CASE("a node without authenticators runs no auth threads", "[audit][threads]") {
  seams::SeamsKeepd keepd(seams::SeamsSetup({}));
  keepd.start();
  REQUIRE(RawClient(keepd.port()).command({"SET", "k", "v"}).text == "OK");

  const std::vector<std::string> names = thread_names(keepd.pid());
  INFO("threads: " << Catch::Detail::stringify(names));
  CHECK(std::none_of(names.begin(), names.end(),
                     [](const std::string& name) { return name.starts_with("keepd-auth"); }));
  CHECK(std::count(names.begin(), names.end(), "keepd") == kUnnamedThreads);
}

}  // namespace keepdb::integration::audit
