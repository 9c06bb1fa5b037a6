// keepdb-audit, the standalone tool: verify's report and exit codes, tail's table and
// filters.
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "plugins/audit/record.h"
#include "tests/unit/audit/audit_test_support.h"

namespace {

using keepdb::audit::test::Event;
using keepdb::audit::test::file_options;
using keepdb::audit::test::LoadedSink;
using keepdb::audit::test::TempDir;
using keepdb::test::kOwnerOnly;
using keepdb::test::read_file;
using keepdb::test::write_file;

struct Run {
  int exit_code = -1;
  std::string out;
};

Run run_tool(const std::string& arguments) {
  Run run;
  std::FILE* pipe =
      ::popen((std::string(KEEPDB_AUDIT_TOOL) + " " + arguments + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    run.out.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace

TEST_CASE("audit tool verifies files and prints a table") {
  TempDir dir;
  const std::string path = dir / "audit.log";
  {
    LoadedSink sink(file_options(dir));
    REQUIRE(sink.status() == KDB_OK);
    Event write;
    REQUIRE(sink.record(write) == KDB_OK);
    Event bob;
    bob.principal = "bob";
    bob.type = 4;
    bob.action = "auth_fail";
    bob.outcome = "denied";
    bob.detail = "wrong token";
    REQUIRE(sink.record(bob) == KDB_OK);
  }
  const Run ok = run_tool("verify " + path);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.starts_with("ok: 2 records, seq 1 to 2, last hash "));

  const Run table = run_tool("tail " + path);
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("TIME (UTC)") == 0);
  CHECK(table.out.find("2026-12-05T02:29:28.123456Z 1        write            alice") !=
        std::string::npos);
  CHECK(table.out.find("10.0.0.7:50312") != std::string::npos);
  CHECK(table.out.find("wrong token") != std::string::npos);

  const Run bob_only = run_tool("tail --principal bob " + path);
  CHECK(bob_only.out.find("alice") == std::string::npos);
  CHECK(bob_only.out.find("auth_fail") != std::string::npos);
  const Run writes = run_tool("tail --kind write " + path);
  CHECK(writes.out.find("auth_fail") == std::string::npos);
  CHECK(writes.out.find("user:1") != std::string::npos);
  CHECK(run_tool("tail --kind nonsense " + path).exit_code == 2);

  write_file(path, read_file(path) + "{\"seq\":3", kOwnerOnly);
  const Run cut = run_tool("verify " + path);
  CHECK(cut.exit_code == 3);
  CHECK(cut.out.find("truncated: " + path + ":3: ends in a partial record") == 0);
  std::string text = read_file(path);
  text.replace(text.find("alice"), 5, "mallo");
  write_file(path, text, kOwnerOnly);
  const Run broken = run_tool("verify " + path);
  CHECK(broken.exit_code == 1);
  CHECK(broken.out.find("FAILED: " + path + ":1: seq 1 does not match its hash") == 0);
  CHECK(run_tool("verify").exit_code == 2);

  write_file(dir / "keys.key", "key-hashing-key-0123456789", kOwnerOnly);
  const Run hashed = run_tool("hash-key --key-file " + (dir / "keys.key").string() + " user:1");
  CHECK(hashed.exit_code == 0);
  CHECK(hashed.out == keepdb::audit::hashed_key("user:1", keepdb::audit::Sha256("key-hashing-key-0123456789")) + "\n");
}
