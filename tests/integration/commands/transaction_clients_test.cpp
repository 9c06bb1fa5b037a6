// Client libraries' own transaction paths against a real keepd: redis-py (Debian
// python3-redis) runs pipeline() transactions, errors inside and before EXEC, the WATCH
// retry loop with a conflicting writer and Redis.transaction()
// (tests/testdata/integration/redis_py_transactions.py).
#include <catch2/catch.hpp>

#include "tests/integration/commands/command_corpus.h"
#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/keepd_process.h"

using namespace keepdb::integration;

TEST_CASE("redis-py: pipeline transactions and the WATCH loop", "[transactions][clients]") {
  KeepdProcess keepd(KeepdSettings("redis-py-transactions"));
  const ProgramResult result =
      run_program({"/usr/bin/python3", integration_testdata("redis_py_transactions.py").string(),
                   std::to_string(keepd.port())});
  INFO(result.out << result.err);
  CHECK(result.status.exited_normally(0));
  CHECK(result.out == "ok\n");
}
