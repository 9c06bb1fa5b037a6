// A committed log entry this build cannot apply (here: a write batch of a format version
// newer than it reads, as a newer leader would write) stops the server with a log line that
// names the entry and what to do, instead of being skipped; a restart meets it again.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "storage/loaded_log.h"
#include "storage/raft_log_store.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"

using namespace keepdb::integration;
using namespace std::chrono_literals;

namespace {

// Appends one command entry holding `payload` to the stopped node's raft log, at the last
// entry's term; returns its index.
raft_index append_entry(const std::filesystem::path& data_dir, const std::string& payload) {
  std::unique_ptr<keepdb::storage::RaftLogStore> store;
  REQUIRE(keepdb::storage::RaftLogStore::open(
              {.directory = data_dir / "raft",
               .segment_bytes = keepdb::storage::segment_bytes_for(16ull << 20)},
              store)
              .ok());
  keepdb::storage::LoadedLog loaded;
  REQUIRE(store->load(loaded).ok());
  REQUIRE(loaded.entries.size() > 0);
  const raft_index index = loaded.start_index + loaded.entries.size();
  raft_entry entry{};
  entry.term = loaded.entries[loaded.entries.size() - 1].term;
  entry.type = RAFT_COMMAND;
  entry.buf = raft_buffer{const_cast<char*>(payload.data()), payload.size()};
  bool written = false;
  store->append(std::span<const raft_entry>(&entry, 1),
                [&written](keepdb::util::IoStatus status) { written = status.ok(); });
  store.reset();  // finishes the queued append
  REQUIRE(written);
  return index;
}

}  // namespace

TEST_CASE("an entry this build cannot apply stops the server with a clear line, and is never "
          "skipped",
          "[durability][unappliable]") {
  KeepdProcess keepd(KeepdSettings("unappliable"));
  {
    RawClient client(keepd.port());
    REQUIRE(client.command({"SET", "before", "1"}).text == "OK");
  }
  REQUIRE(keepd.stop().exited_normally(0));
  // Version 9, then a header's worth of bytes: what a leader of a later version might write.
  const raft_index index = append_entry(keepd.data_dir(), "\x09" + std::string(40, '\0'));
  const std::string expected = "cannot apply log entry " + std::to_string(index) +
                               ": a write batch of format version 9, and this build reads "
                               "versions 1 to 4; exiting: this server stops rather than let its "
                               "data differ";
  for (int run = 0; run < 2; ++run) {  // the second start meets the same entry again
    CAPTURE(run);
    // The entry may apply before or after the ready line.
    const std::string log = keepd.restart_expecting_exit(20s);
    CHECK_THAT(log, Catch::Contains(expected));
  }
}
