// Client libraries' own transaction paths against a real keepd, each a script in
// tests/clients/ that prints "ok": redis-py (Debian python3-redis), ioredis and node-redis
// (npm packages pinned in tests/clients/package-lock.json, installed by
// scripts/install-deps.sh). Each runs MULTI/EXEC chains, errors inside and before EXEC, and
// the WATCH retry loop with a conflicting writer on another connection; and each one's
// database option (redis-py Redis(db=3), ioredis db: 1, node-redis database: 1).
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/keepd_process.h"

using namespace keepdb::integration;

namespace {

std::string client_script(const std::string& name) {
  return (std::filesystem::path(KEEPDB_SOURCE_DIR) / "tests/clients" / name).string();
}

// Runs `interpreter script PORT` against a fresh keepd and expects "ok".
void run_client_script(const std::string& test_name, const std::string& interpreter,
                       const std::string& script) {
  REQUIRE(std::filesystem::exists(interpreter));
  KeepdProcess keepd{KeepdSettings(test_name)};
  const ProgramResult result =
      run_program({interpreter, client_script(script), std::to_string(keepd.port())});
  INFO(result.out << result.err);
  CHECK(result.status.exited_normally(0));
  CHECK(result.out == "ok\n");
}

}  // namespace

TEST_CASE("redis-py: pipeline transactions and the WATCH loop", "[transactions][clients]") {
  run_client_script("redis-py-transactions", "/usr/bin/python3", "redis_py_transactions.py");
}

TEST_CASE("ioredis: multi and the WATCH loop", "[transactions][clients]") {
  REQUIRE(std::filesystem::exists(client_script("node_modules/ioredis")));  // install-deps.sh
  run_client_script("ioredis-transactions", "/usr/bin/node", "ioredis_transactions.js");
}

TEST_CASE("node-redis: multi and the WATCH loop", "[transactions][clients]") {
  REQUIRE(std::filesystem::exists(client_script("node_modules/redis")));  // install-deps.sh
  run_client_script("node-redis-transactions", "/usr/bin/node", "node_redis_transactions.js");
}

TEST_CASE("redis-py: Redis(db=3) with its pipelines, WATCH, MOVE, SWAPDB and the flushes",
          "[db][clients]") {
  run_client_script("redis-py-databases", "/usr/bin/python3", "redis_py_databases.py");
}

TEST_CASE("ioredis: db 1 selects database 1", "[db][clients]") {
  REQUIRE(std::filesystem::exists(client_script("node_modules/ioredis")));  // install-deps.sh
  run_client_script("ioredis-databases", "/usr/bin/node", "ioredis_databases.js");
}

TEST_CASE("node-redis: database 1 selects database 1", "[db][clients]") {
  REQUIRE(std::filesystem::exists(client_script("node_modules/redis")));  // install-deps.sh
  run_client_script("node-redis-databases", "/usr/bin/node", "node_redis_databases.js");
}
