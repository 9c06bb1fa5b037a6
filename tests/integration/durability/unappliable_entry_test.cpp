// A committed log entry this build cannot apply (here: a write batch of a format version
// newer than it reads, as a newer leader would write) stops the server with a log line that
// names the entry and what to do, instead of being skipped; a restart meets it again.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "tests/integration/durability/raft_log_append.h"
#include "tests/integration/harness/keepd_process.h"

using namespace keepdb::integration;
using namespace std::chrono_literals;

TEST_CASE("an entry this build cannot apply stops the server with a clear line, and is never "
          "skipped",
          "[durability][unappliable]") {
  KeepdProcess keepd(KeepdSettings("unappliable"));
  write_a_key_and_stop(keepd);
  // Version 9, then a header's worth of bytes: what a leader of a later version might write.
  const raft_index index =
      append_raft_entries(keepd.data_dir(), {"\x09" + std::string(40, '\0')});
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
