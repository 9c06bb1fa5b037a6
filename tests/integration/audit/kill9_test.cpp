// Issue 18, "a kill -9 under load leaves a file whose chain verifies up to the last whole
// record", for fsync = "interval_ms" and "every_record": keepd with plugins/audit's file
// sink and four clients writing is killed with SIGKILL mid-load. keepdb-audit verify then
// exits 0 (every line whole) or 3 with "truncated: ..." (a torn last line), never 1; a torn
// last line is also made on purpose (half of a record appended, as a crash inside write()
// leaves it) and reported as truncated, not as tampering. Restarted on the same file, the
// sink cuts the partial line off, says so in the log, and continues the chain: a record
// written after the restart verifies, with no gap in seq.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/audit/audit_records.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::audit {
namespace {

constexpr int kWriters = 4;

std::uint64_t seq_of(const boost::json::object& record) {
  return record.at("seq").to_number<std::uint64_t>();
}

// Writes until the server goes away or `stop` is set.
void write_until_gone(std::uint16_t port, int writer, const std::atomic<bool>& stop) {
  try {
    RawClient client(port);
    for (int i = 0; !stop; ++i) {
      const std::string key = "load:" + std::to_string(writer) + ":" + std::to_string(i);
      if (client.command({"SET", key, "value"}).text != "OK") return;
    }
  } catch (const std::runtime_error&) {
    // the kill closed the connection mid-command
  }
}

}  // namespace

TEST_CASE("audit kill -9 under load: the file verifies up to its last whole record",
          "[audit][kill9]") {
  const std::string policy = GENERATE(as<std::string>{}, "interval_ms", "every_record");
  INFO("fsync = " << policy);
  PluginTable::Options options{{"path", "audit.log"}, {"fsync", policy}};
  if (policy == "interval_ms") options.emplace_back("fsync_interval_ms", "20");
  seams::SeamsKeepd keepd(seams::SeamsSetup({PluginTable("audit", audit_plugin(), options)}));
  const std::filesystem::path file = keepd.dir() / "audit.log";
  keepd.start();

  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int writer = 0; writer < kWriters; ++writer) {
    writers.emplace_back(write_until_gone, keepd.port(), writer, std::cref(stop));
  }
  // Mid-load: enough records on disk that the audit thread is busy writing the next ones.
  const std::size_t enough = policy == "every_record" ? 30 : 2000;
  const bool loaded =
      poll_until([&] { return read_records(file).size() >= enough; }, kStartTimeout);
  keepd.send_signal(SIGKILL);
  const bool gone = poll_until([&] { return !keepd.running(); }, kStopTimeout);
  stop = true;
  for (std::thread& writer : writers) writer.join();
  REQUIRE(loaded);
  REQUIRE(gone);

  const ProgramResult after_kill = verify({file});
  INFO(after_kill.out << after_kill.err);
  if (after_kill.status.exited_normally(3)) {
    CHECK(after_kill.out.starts_with("truncated: "));
  } else {
    REQUIRE(after_kill.status.exited_normally(0));
    // Whole lines only this time: tear the last record as a crash inside write() would.
    const std::string text = read_file(file);
    const std::size_t last = text.rfind('\n', text.size() - 2) + 1;
    std::ofstream(file, std::ios::app) << text.substr(last, (text.size() - last) / 2);
  }
  const auto before = read_records(file);
  REQUIRE(before.size() >= enough);
  const ProgramResult torn = verify({file});
  INFO(torn.out << torn.err);
  CHECK(torn.status.exited_normally(3));
  CHECK(torn.out.starts_with("truncated: " + file.string() + ":" +
                             std::to_string(before.size() + 1) + ": ends in a partial record"));
  CHECK(torn.out.find("the whole records before it verify: " + std::to_string(before.size()) +
                      " records, seq 1 to " + std::to_string(seq_of(before.back()))) !=
        std::string::npos);

  keepd.start();  // the same config, data dir and audit file
  CHECK(keepd.wait_for_log("cut off a partial last record of "));
  {
    RawClient client(keepd.port());
    REQUIRE(client.command({"SET", "after:restart", "value"}).text == "OK");
  }
  REQUIRE_FALSE(wait_for_records(file, {{"key", "after:restart"}}).empty());
  CHECK(keepd.stop().exited_normally(0));
  const auto after = read_records(file);
  const auto restarted = matching(after, {{"key", "after:restart"}});
  REQUIRE(restarted.size() == 1);
  CHECK(seq_of(restarted[0]) > seq_of(before.back()));
  CHECK(seq_of(after[before.size()]) == seq_of(before.back()) + 1);  // continued, no gap
  CHECK(after[before.size()].at("prev") == before.back().at("hash"));
  const ProgramResult verified = verify({file});
  INFO(verified.out << verified.err);
  CHECK(verified.status.exited_normally(0));
}

}  // namespace keepdb::integration::audit
