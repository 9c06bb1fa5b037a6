// Issue 18 items 3 and 5 as the issue names them: `keepd audit verify FILE...` and `keepd
// audit tail ...` run the audit plugin's tool, keepdb-audit, with the same arguments, its
// output and exit code unchanged: on the file of a real keepd, on the same file edited (exit
// 1), with the tool found beside a keepd installed in one directory, and with the tool
// nowhere keepd looks (exit 2, the error saying where it looked).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/audit/audit_records.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/temp_dir.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::audit {
namespace {

// `keepd audit ARGS...`, with a PATH that holds no keepdb-audit: only the places keepd looks
// beside itself can provide it.
ProgramResult keepd_audit(const std::filesystem::path& keepd, std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/env", "PATH=/nonexistent", keepd.string(), "audit"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv);
}

}  // namespace

TEST_CASE("keepd audit verify and tail run keepdb-audit on a node's audit file",
          "[audit][cli]") {
  seams::SeamsKeepd keepd(seams::SeamsSetup(
      {PluginTable("audit", audit_plugin(), {{"path", "audit.log"}, {"fsync", "none"}})}));
  const std::filesystem::path file = keepd.dir() / "audit.log";
  keepd.start();
  {
    RawClient client(keepd.port());
    REQUIRE(client.command({"SET", "cli:key", "value"}).text == "OK");
    REQUIRE(client.command({"DEL", "cli:key"}).integer == 1);
  }
  REQUIRE(!wait_for_records(file, {{"kind", "disconnect"}}).empty());
  REQUIRE(keepd.stop().exited_normally(0));

  // From the build tree: keepd finds the tool where the build puts it.
  const ProgramResult verified = keepd_audit(keepd_binary(), {"verify", file.string()});
  CHECK(verified.status.exited_normally(0));
  CHECK(verified.out == verify({file}).out);
  CHECK(verified.out.find("ok") != std::string::npos);

  const ProgramResult tail =
      keepd_audit(keepd_binary(), {"tail", "--kind", "write", file.string()});
  CHECK(tail.status.exited_normally(0));
  CHECK(tail.out.find("cli:key") != std::string::npos);
  CHECK(tail.out.find("connect") == std::string::npos);  // only the kind asked for

  // An edited record: the tool's exit code 1 comes through.
  std::string text = read_file(file);
  const std::size_t key = text.find("cli:key");
  REQUIRE(key != std::string::npos);
  text.replace(key, 7, "cli:kez");
  write_file(file, text);
  const ProgramResult broken = keepd_audit(keepd_binary(), {"verify", file.string()});
  CHECK(broken.status.exited_normally(1));
  CHECK(broken.out == verify({file}).out);

  // Installed in one directory: the tool beside keepd.
  TempDir bin("keepd-bin");
  std::filesystem::copy_file(keepd_binary(), bin / "keepd");
  std::filesystem::copy_file(audit_tool(), bin / "keepdb-audit");
  const ProgramResult beside = keepd_audit(bin / "keepd", {"verify", file.string()});
  CHECK(beside.status.exited_normally(1));
  CHECK(beside.out == broken.out);

  // Nowhere: a usage error that says where keepd looked.
  std::filesystem::remove(bin / "keepdb-audit");
  const ProgramResult missing = keepd_audit(bin / "keepd", {"verify", file.string()});
  CHECK(missing.status.exited_normally(2));
  CHECK(missing.err.find("cannot run keepdb-audit") != std::string::npos);
  CHECK(missing.err.find("beside keepd nor on PATH") != std::string::npos);
}

}  // namespace keepdb::integration::audit
