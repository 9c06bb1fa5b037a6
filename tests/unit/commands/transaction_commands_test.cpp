// MULTI, EXEC and DISCARD while KeepDB has no transactions: MULTI is refused, every command
// up to EXEC or DISCARD is refused too (so nothing a client meant to queue runs on its own),
// EXEC answers EXECABORT, and the texts Redis also has are Redis's.
#include <catch2/catch.hpp>

#include "tests/unit/commands/command_fixture.h"

using keepdb::test::CommandFixture;
using namespace keepdb::test::resp2;

namespace {
const std::string kRefused =
    error("ERR not run: MULTI is not supported by KeepDB yet; send DISCARD or EXEC");
}  // namespace

TEST_CASE("after MULTI nothing runs until EXEC, which aborts", "[transactions]") {
  CommandFixture db;
  db.run({"SET", "kept", "1"});
  CHECK(db.run({"MULTI"}) == error("ERR MULTI is not supported by KeepDB yet: the commands up to "
                                   "EXEC or DISCARD are refused, none of them runs"));
  CHECK(db.run({"SET", "mk", "1"}) == kRefused);
  CHECK(db.run({"INCR", "mk"}) == kRefused);
  CHECK(db.run({"DEL", "kept"}) == kRefused);
  CHECK(db.run({"GET", "kept"}) == kRefused);
  CHECK(db.run({"MULTI"}) == error("ERR MULTI calls can not be nested"));
  CHECK(db.run({"EXEC"}) == error("EXECABORT Transaction discarded because of previous errors."));
  CHECK(db.run({"GET", "mk"}) == kNil);  // none of the refused writes ran
  CHECK(db.run({"GET", "kept"}) == bulk("1"));
  CHECK(db.run({"EXEC"}) == error("ERR EXEC without MULTI"));
}

TEST_CASE("DISCARD ends a refused MULTI; without MULTI it is Redis's error", "[transactions]") {
  CommandFixture db;
  CHECK(db.run({"DISCARD"}) == error("ERR DISCARD without MULTI"));
  db.run({"MULTI"});
  CHECK(db.run({"SET", "k", "v"}) == kRefused);
  CHECK(db.run({"DISCARD"}) == kOk);
  CHECK(db.run({"SET", "k", "v"}) == kOk);
  CHECK(db.run({"MULTI", "extra"}) == error("ERR wrong number of arguments for 'multi' command"));
}
