// Issue 18, fail_closed on a full disk: keepd with plugins/audit (`fail_closed = true`,
// `fsync = "every_record"`) writing its audit file on a 1 MiB tmpfs that a ballast file
// fills. Once a record cannot be written, recorded commands are refused with a clear error
// on the open connection while reads keep working; the sink logs the cause once; when the
// ballast is deleted writes resume by themselves. Nothing is applied without its record:
// every acknowledged write has its record in the file, no refused write was applied, and the
// chain verifies with no gap. Mounting needs root (CI runs the tests as root): without it
// the test is skipped with a warning.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "tests/integration/audit/audit_records.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/small_filesystem.h"
#include "tests/integration/harness/temp_dir.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::audit {

TEST_CASE("audit full disk: fail_closed refuses writes it cannot record and recovers by itself",
          "[audit][full-disk]") {
  TempDir outside("audit-full-disk");
  SmallFilesystem filesystem(outside / "fs", "1m");
  if (!filesystem.mounted()) {
    WARN("skipped: cannot mount a tmpfs (the test needs root)");
    return;
  }
  const std::filesystem::path file = filesystem.path() / "audit.log";
  seams::SeamsKeepd keepd(seams::SeamsSetup({PluginTable(
      "audit", audit_plugin(), {{"path", file.string()}, {"fsync", "every_record"}}, true)}));
  keepd.start();
  RawClient client(keepd.port());
  std::vector<std::string> acknowledged;
  const auto write = [&](const std::string& key) {
    const RespValue reply = client.command({"SET", key, "value-" + key});
    if (reply.text == "OK") acknowledged.push_back(key);
    return reply;
  };
  REQUIRE(write("before").text == "OK");

  // All but 64 KiB: the audit thread may still be writing the records of the commands
  // above, and a ballast sized to the last byte would race it. The loop's records (each
  // well over 64 bytes) fill the rest.
  write_ballast(filesystem.path() / "ballast", filesystem.free_bytes() - (64u << 10));
  std::string refusal;
  std::vector<std::string> refused;
  for (int i = 0; i < 1000 && refusal.empty(); ++i) {
    const std::string key = "full-" + std::to_string(i);
    const RespValue reply = write(key);
    REQUIRE_FALSE(client.closed());
    if (reply.is_error()) {
      refusal = reply.text;
      refused.push_back(key);
    }
  }
  INFO(refusal);
  REQUIRE(refusal.starts_with(
      "ERR audit: plugin 'audit' (audit) cannot record (fail_closed): recorded commands are "
      "refused until it records again"));
  CHECK(write("refused-too").text == refusal);
  refused.push_back("refused-too");
  CHECK(client.command({"FLUSHDB"}).text == refusal);  // admin commands are recorded too
  CHECK(client.command({"GET", "before"}).text == "value-before");  // reads are not recorded
  CHECK(keepd.wait_for_log("cannot write " + file.string() + ": No space left on device"));
  CHECK(client.command({"INFO", "stats"}).text.find("audit_refusing_commands:1\r\n") !=
        std::string::npos);

  std::filesystem::remove(filesystem.path() / "ballast");
  CHECK(poll_until([&] { return write("after").text == "OK"; }, kReplyTimeout));
  CHECK(keepd.wait_for_log("writing " + file.string() + " again after "));
  for (const std::string& key : refused) {
    INFO(key);
    CHECK(client.command({"GET", key}).null);
  }
  CHECK(keepd.stop().exited_normally(0));

  const auto records = read_records(file);
  std::set<std::string> recorded;
  for (const auto& record : matching(records, {{"kind", "write"}, {"command", "set"}})) {
    recorded.insert(text_of(record, "key"));
  }
  for (const std::string& key : acknowledged) {
    INFO(key);
    CHECK(recorded.contains(key));
  }
  for (const std::string& key : refused) CHECK_FALSE(recorded.contains(key));
  const ProgramResult verified = verify({file});
  INFO(verified.out << verified.err);
  CHECK(verified.status.exited_normally(0));
}

}  // namespace keepdb::integration::audit
