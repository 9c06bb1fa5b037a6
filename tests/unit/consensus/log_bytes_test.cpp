// LogBytes: byte counts of the raft log by index across append, truncate, compaction and
// installing a snapshot, and the trailing count that fits a byte budget.
#include <catch2/catch.hpp>

#include "kernel/consensus/raft/log_bytes.h"

using keepdb::consensus::LogBytes;

TEST_CASE("log bytes: ranges, truncation, compaction and reset", "[log-bytes]") {
  LogBytes log;
  for (std::uint64_t bytes : {10, 20, 30, 40}) log.append(bytes);  // indexes 1..4
  CHECK(log.next_index() == 5);
  CHECK(log.bytes_between(0, 4) == 100);
  CHECK(log.bytes_between(1, 3) == 50);
  CHECK(log.bytes_between(3, 3) == 0);
  log.truncate(3);  // a conflicting tail replaced
  log.append(5);
  CHECK(log.bytes_between(0, 3) == 35);
  log.forget_through(2);  // compaction
  CHECK(log.bytes_between(2, 3) == 5);
  CHECK(log.bytes_between(0, 3) == 5);  // forgotten entries count nothing
  log.reset(100);                       // a leader's snapshot at 99
  CHECK(log.next_index() == 100);
  log.append(7);
  CHECK(log.bytes_between(99, 100) == 7);
}

TEST_CASE("log bytes: trailing entries within a budget, at least one", "[log-bytes]") {
  LogBytes log;
  for (std::uint64_t bytes : {8, 1, 1, 1, 8}) log.append(bytes);  // indexes 1..5
  CHECK(log.entries_within(5, 8, 100) == 1);
  CHECK(log.entries_within(5, 2, 100) == 1);  // one entry over the budget is still kept
  CHECK(log.entries_within(4, 3, 100) == 3);
  CHECK(log.entries_within(4, 100, 100) == 4);  // no entry before index 1
  CHECK(log.entries_within(4, 100, 2) == 2);
  log.forget_through(2);
  CHECK(log.entries_within(4, 100, 100) == 2);  // only entries held count
}
