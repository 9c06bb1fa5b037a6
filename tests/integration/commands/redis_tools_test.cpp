// The stock Redis tools against keepd: redis-cli starting its interactive REPL (which
// fetches COMMAND DOCS first), a MULTI ... EXEC transaction through redis-cli, and
// redis-benchmark's string tests.
#include <catch2/catch.hpp>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"

using namespace keepdb::integration;

TEST_CASE("redis-cli starts its REPL cleanly and runs commands from stdin", "[cli]") {
  KeepdProcess keepd(KeepdSettings("cli-repl"));
  const ProgramResult result =
      RedisCli(keepd.port())
          .run({}, CliOutput::kNoRaw, "PING\nSET greeting hello\nGET greeting\nDBSIZE\n");
  REQUIRE(result.status.exited_normally(0));
  CHECK(result.err == "");  // e.g. nothing about COMMAND DOCS
  CHECK(result.out == "PONG\nOK\n\"hello\"\n(integer) 1\n");
}

TEST_CASE("redis-cli runs one command per invocation", "[cli]") {
  KeepdProcess keepd(KeepdSettings("cli-args"));
  const RedisCli cli(keepd.port());
  CHECK(cli.raw({"SET", "k", "v with spaces"}) == "OK");
  CHECK(cli.raw({"GET", "k"}) == "v with spaces");
  CHECK(cli.run({"GET", "missing"}, CliOutput::kNoRaw).out == "(nil)\n");
  CHECK(cli.run({"INCR", "k"}, CliOutput::kNoRaw).out ==
        "(error) ERR value is not an integer or out of range\n");
}

TEST_CASE("redis-cli: MULTI queues and EXEC runs the commands as one transaction", "[cli]") {
  KeepdProcess keepd(KeepdSettings("cli-multi"));
  const ProgramResult result = RedisCli(keepd.port())
                                   .run({}, CliOutput::kNoRaw,
                                        "MULTI\nSET mk 1\nINCR mk\nEXEC\nGET mk\nSET mk 2\nGET mk\n");
  REQUIRE(result.status.exited_normally(0));
  CHECK(result.out == "OK\nQUEUED\nQUEUED\n1) OK\n2) (integer) 2\n\"2\"\nOK\n\"2\"\n");
}

// Every test of redis-benchmark's default list that needs only strings (the list goes on
// with lists, sets and hashes).
TEST_CASE("redis-benchmark runs its string tests with 10 clients and pipelines of 16",
          "[benchmark]") {
  KeepdProcess keepd(KeepdSettings("benchmark"));
  const ProgramResult result =
      run_redis_benchmark(keepd.port(), {"-t", "ping_inline,ping_mbulk,set,get,incr,mset", "-n",
                                         "2000", "-c", "10", "-P", "16", "-r", "500", "-q"});
  INFO(result.out << result.err);
  REQUIRE(result.status.exited_normally(0));
  CHECK(result.err.find("rror") == std::string::npos);
  for (const char* test : {"PING_INLINE: ", "PING_MBULK: ", "SET: ", "GET: ", "INCR: ",
                           "MSET (10 keys): "}) {
    CHECK(result.out.find(test) != std::string::npos);
  }
  RawClient client(keepd.port());
  const std::int64_t keys = client.command({"DBSIZE"}).integer;
  CHECK(keys >= 1);
  // -r 500: key:000000000000 .. key:000000000499 (SET, MSET) and counter:... (INCR).
  CHECK(keys <= 1000);
  CHECK(client.command({"GET", "key:__rand_int__"}).null);
}
