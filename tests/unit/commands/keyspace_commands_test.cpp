// Tests for the keyspace family apart from SCAN (scan_test.cpp): DEL, EXISTS, DBSIZE and
// FLUSHDB, byte for byte against Redis 7.
#include <catch2/catch.hpp>

#include "tests/unit/commands/command_fixture.h"

using keepdb::test::CommandFixture;
using namespace keepdb::test::resp2;

TEST_CASE("DEL counts each existing key once, even when repeated", "[keyspace]") {
  CommandFixture db;
  db.run({"MSET", "a", "1", "b", "2"});
  CHECK(db.run({"DEL", "a", "a", "missing", "b"}) == integer(2));
  CHECK(db.run({"DEL", "a"}) == integer(0));
  CHECK(db.run({"DBSIZE"}) == integer(0));
}

TEST_CASE("EXISTS counts a repeated existing key every time", "[keyspace]") {
  CommandFixture db;
  db.run({"SET", "a", "1"});
  CHECK(db.run({"EXISTS", "a", "a", "missing", "a"}) == integer(3));
  CHECK(db.run({"EXISTS", "missing"}) == integer(0));
}

TEST_CASE("DBSIZE counts keys after sets, overwrites and deletes", "[keyspace]") {
  CommandFixture db;
  CHECK(db.run({"DBSIZE"}) == integer(0));
  db.run({"MSET", "a", "1", "b", "2", "c", "3"});
  db.run({"SET", "a", "again"});
  CHECK(db.run({"DBSIZE"}) == integer(3));
  db.run({"DEL", "b"});
  CHECK(db.run({"DBSIZE"}) == integer(2));
}

TEST_CASE("FLUSHDB removes every key, with SYNC or ASYNC too", "[keyspace]") {
  const auto mode = GENERATE(as<std::string>{}, "", "SYNC", "async");
  CAPTURE(mode);
  CommandFixture db;
  db.run({"MSET", "a", "1", "b", "2"});
  CHECK((mode.empty() ? db.run({"FLUSHDB"}) : db.run({"FLUSHDB", mode})) == kOk);
  CHECK(db.run({"DBSIZE"}) == integer(0));
  CHECK(db.run({"GET", "a"}) == kNil);
  CHECK(db.run({"SET", "a", "after"}) == kOk);
  CHECK(db.run({"DBSIZE"}) == integer(1));
}

TEST_CASE("FLUSHDB with another argument is a syntax error and keeps the keys", "[keyspace]") {
  CommandFixture db;
  db.run({"SET", "a", "1"});
  CHECK(db.run({"FLUSHDB", "now"}) == error("ERR syntax error"));
  CHECK(db.run({"FLUSHDB", "SYNC", "ASYNC"}) == error("ERR syntax error"));
  CHECK(db.run({"DBSIZE"}) == integer(1));
}
