// Pipelining and inline commands over raw sockets: hundreds of commands in one write
// answered in order, reads in a pipeline seeing the writes before them, pipelines cut at
// arbitrary byte boundaries, and inline (telnet-style) commands compared with Redis 7.
#include <catch2/catch.hpp>

#include "tests/integration/commands/command_corpus.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/reference_redis.h"

using namespace keepdb::integration;

namespace {

constexpr int kPipelineLength = 500;

// 500 commands mixing writes and reads; `expected[i]` is reply i as describe() prints it.
struct Pipeline {
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> expected;

  void add(std::vector<std::string> command, std::string reply) {
    commands.push_back(std::move(command));
    expected.push_back(std::move(reply));
  }
};

Pipeline mixed_pipeline() {
  Pipeline p;
  for (int i = 0; static_cast<int>(p.commands.size()) < kPipelineLength; ++i) {
    const std::string key = "p:" + std::to_string(i);
    const std::string value = "value-" + std::to_string(i);
    p.add({"SET", key, value}, "\"OK\"");
    p.add({"GET", key}, "\"" + value + "\"");
    p.add({"INCR", "counter"}, std::to_string(i + 1));
    p.add({"APPEND", key, "!"}, std::to_string(value.size() + 1));
    p.add({"EXISTS", key, "p:missing"}, "1");
  }
  p.commands.resize(kPipelineLength);
  p.expected.resize(kPipelineLength);
  return p;
}

std::string joined(const std::vector<std::string>& command) {
  std::string text;
  for (const auto& arg : command) text += (text.empty() ? "" : " ") + arg;
  return text;
}

void expect_replies(const std::vector<RespValue>& replies, const Pipeline& pipeline) {
  REQUIRE(replies.size() == pipeline.expected.size());
  for (std::size_t i = 0; i < replies.size(); ++i) {
    INFO("reply " << i << " to " << joined(pipeline.commands[i]));
    CHECK(replies[i].describe() == pipeline.expected[i]);
  }
}

}  // namespace

TEST_CASE("500 pipelined commands in one write are answered in order", "[pipeline]") {
  // Sockets on the network thread, then on two I/O threads ([client] io_threads).
  const unsigned io_threads = GENERATE(0u, 2u);
  CAPTURE(io_threads);
  KeepdProcess keepd(KeepdSettings("pipeline").io_threads(io_threads));
  RawClient client(keepd.port());
  CHECK(client.command({"INFO", "server"}).text.find("io_threads:" + std::to_string(io_threads) +
                                                     "\r\n") != std::string::npos);
  const Pipeline pipeline = mixed_pipeline();
  expect_replies(client.pipeline(pipeline.commands), pipeline);
  CHECK(client.command({"GET", "counter"}).text == std::to_string(kPipelineLength / 5));
}

TEST_CASE("reads in a pipeline see the writes before them", "[pipeline]") {
  KeepdProcess keepd(KeepdSettings("pipeline-rw"));
  RawClient client(keepd.port());
  Pipeline p;
  p.add({"SET", "x", "1"}, "\"OK\"");
  p.add({"GET", "x"}, "\"1\"");
  p.add({"INCRBY", "x", "41"}, "42");
  p.add({"GET", "x"}, "\"42\"");
  p.add({"MSET", "a", "1", "b", "2"}, "\"OK\"");
  p.add({"MGET", "a", "b", "x"}, "[\"1\", \"2\", \"42\"]");
  p.add({"GETDEL", "a"}, "\"1\"");
  p.add({"EXISTS", "a", "b"}, "1");
  p.add({"DEL", "b", "x"}, "2");
  p.add({"DBSIZE"}, "0");
  p.add({"SETNX", "n", "first"}, "1");
  p.add({"GETSET", "n", "second"}, "\"first\"");
  p.add({"STRLEN", "n"}, "6");
  p.add({"FLUSHDB"}, "\"OK\"");
  p.add({"GET", "n"}, "nil");
  expect_replies(client.pipeline(p.commands), p);
}

TEST_CASE("a pipeline cut into 7-byte pieces gives the same replies", "[pipeline]") {
  // Sockets on the network thread, then on two I/O threads ([client] io_threads).
  const unsigned io_threads = GENERATE(0u, 2u);
  CAPTURE(io_threads);
  KeepdProcess keepd(KeepdSettings("pipeline-split").io_threads(io_threads));
  RawClient client(keepd.port());
  const Pipeline pipeline = mixed_pipeline();
  std::string bytes;
  for (const auto& command : pipeline.commands) bytes += encode_command(command);
  for (std::size_t at = 0; at < bytes.size(); at += 7) REQUIRE(client.send(bytes.substr(at, 7)));
  std::vector<RespValue> replies;
  for (int i = 0; i < kPipelineLength; ++i) replies.push_back(client.read_reply());
  expect_replies(replies, pipeline);
}

TEST_CASE("inline commands get the same replies as from Redis 7", "[inline][compat]") {
  // Each entry is sent as raw bytes, in order, on one connection to each server.
  const std::vector<std::string> requests = {
      "PING\r\n",
      "ping\n",
      "  PING   hello  \r\n",
      "\r\n\r\nECHO after-blank-lines\r\n",
      "SET greeting \"hello world\"\r\n",
      "GET greeting\n",
      "SET quoted 'it is' x\r\n",
      "SET escaped \"tab\\there\\x41\\n\"\r\n",
      "GET escaped\r\n",
      "SET single 'a\\'b'\r\n",
      "GET single\r\n",
      "MSET i1 1 i2 2\r\nMGET i1 i2 i3\r\n",
      "INCR i1\r\n*2\r\n$3\r\nGET\r\n$2\r\ni1\r\n",  // inline then multibulk in one write
      "NOSUCH inline args\r\n",
      "GET\r\n",
  };
  KeepdProcess keepd(KeepdSettings("inline"));
  ReferenceRedis redis;
  RawClient keepdb_client(keepd.port());
  RawClient redis_client(redis.port());
  for (const std::string& request : requests) {
    INFO("request: " << escape_bytes(request));
    REQUIRE(keepdb_client.send(request));
    REQUIRE(redis_client.send(request));
    // A request line may hold several commands; compare reply by reply until Redis is done.
    const std::string ping = encode_command({"PING", "end-of-request"});
    REQUIRE(keepdb_client.send(ping));
    REQUIRE(redis_client.send(ping));
    for (;;) {
      const std::string expected = redis_client.read_reply_bytes();
      CHECK(escape_bytes(keepdb_client.read_reply_bytes()) == escape_bytes(expected));
      if (expected == "$14\r\nend-of-request\r\n") break;
    }
  }
}

TEST_CASE("an inline command with unbalanced quotes is a protocol error", "[inline]") {
  KeepdProcess keepd(KeepdSettings("inline-quotes"));
  RawClient client(keepd.port());
  REQUIRE(client.send("SET a \"unterminated\r\n"));
  CHECK(client.read_reply().describe() ==
        "(error) ERR Protocol error: unbalanced quotes in request");
  CHECK(client.wait_closed());
  CHECK(RawClient(keepd.port()).command({"PING"}).text == "PONG");
}
