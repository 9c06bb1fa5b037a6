// Byte compatibility with Redis 7: the corpus in tests/testdata/integration is sent to a
// fresh keepd and a fresh redis-server over raw sockets, and every reply must be the same
// bytes, in RESP2 and in RESP3; then the same corpus is piped through redis-cli, whose
// output must match too.
#include <catch2/catch.hpp>

#include "tests/integration/commands/command_corpus.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"
#include "tests/integration/harness/reference_redis.h"

using namespace keepdb::integration;

namespace {

constexpr const char* kCorpus = "redis7_compat_corpus.txt";

enum class Protocol { kResp2, kResp3 };

// Starts keepd and Redis, sends every corpus command to both on one connection each, and
// checks that each pair of replies is the same bytes.
void expect_same_replies(Protocol protocol) {
  KeepdProcess keepd(KeepdSettings("compat"));
  ReferenceRedis redis;
  RawClient keepdb_client(keepd.port());
  RawClient redis_client(redis.port());
  if (protocol == Protocol::kResp3) {
    // HELLO's own reply names the server and connection id, so it legitimately differs.
    REQUIRE(keepdb_client.command({"HELLO", "3"}).type == '%');
    REQUIRE(redis_client.command({"HELLO", "3"}).type == '%');
  }
  for (const CorpusCommand& command : load_corpus(integration_testdata(kCorpus))) {
    const std::string request = encode_command(command.args);
    REQUIRE(keepdb_client.send(request));
    REQUIRE(redis_client.send(request));
    const std::string expected = redis_client.read_reply_bytes();
    const std::string actual = keepdb_client.read_reply_bytes();
    INFO(kCorpus << ":" << command.line << ": " << command.text);
    CHECK(escape_bytes(actual) == escape_bytes(expected));
  }
}

}  // namespace

TEST_CASE("every corpus reply is byte-identical to Redis 7 in RESP2", "[compat]") {
  expect_same_replies(Protocol::kResp2);
}

TEST_CASE("every corpus reply is byte-identical to Redis 7 in RESP3", "[compat]") {
  expect_same_replies(Protocol::kResp3);
}

TEST_CASE("redis-cli prints the same for the corpus against keepd and Redis 7", "[compat][cli]") {
  // No command arguments: redis-cli runs its REPL on stdin, as an interactive session
  // does, so it first fetches COMMAND DOCS; nothing may go to stderr. With -3 it starts
  // with HELLO 3 and prints RESP3 replies.
  for (const std::vector<std::string>& options : {std::vector<std::string>{}, {"-3"}}) {
    INFO("redis-cli " << (options.empty() ? "" : options[0]));
    KeepdProcess keepd(KeepdSettings("compat-cli"));
    ReferenceRedis redis;
    const std::string input = corpus_as_cli_input(load_corpus(integration_testdata(kCorpus)));
    const ProgramResult from_keepdb = RedisCli(keepd.port()).run(options, CliOutput::kNoRaw, input);
    const ProgramResult from_redis = RedisCli(redis.port()).run(options, CliOutput::kNoRaw, input);
    REQUIRE(from_redis.status.exited_normally(0));
    CHECK(from_keepdb.status.exited_normally(0));
    CHECK(from_keepdb.err == "");
    CHECK(first_difference(from_redis.out, from_keepdb.out) == "");
  }
}
