// Malformed RESP from a raw socket: bad type bytes, negative and overflowing lengths,
// missing CRLF, huge declared sizes with no body. Each gets its protocol error and the
// connection is closed (or, within the limits, the stalled request times out); the server
// keeps serving other clients, its data is intact and its memory stays bounded.
#include <catch2/catch.hpp>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/process_memory.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/limits/survival.h"

using namespace keepdb::integration;

namespace {

constexpr std::uint64_t kMaxBulk = 1 << 20;

KeepdSettings malformed_input_settings(const std::string& label) {
  return KeepdSettings(label).limit("max_bulk_bytes", kMaxBulk).limit("request_timeout_ms", 1000);
}

struct MalformedCase {
  const char* name;
  std::string bytes;
  const char* error;  // the reply, without the leading '-'
};

}  // namespace

TEST_CASE("each kind of malformed request gets its protocol error and a close", "[malformed]") {
  const std::vector<MalformedCase> cases = {
      {"overflowing multibulk length", "*99999999999999999999\r\n",
       "ERR Protocol error: invalid multibulk length"},
      {"non-numeric multibulk length", "*abc\r\n", "ERR Protocol error: invalid multibulk length"},
      {"LF without CR after a length", "*1\n$4\r\n",
       "ERR Protocol error: invalid multibulk length"},
      {"bad type byte for an argument", "*1\r\nPING\r\n",
       "ERR Protocol error: expected '$', got 'P'"},
      {"bad type byte ':' for an argument", "*1\r\n:1\r\n",
       "ERR Protocol error: expected '$', got ':'"},
      {"negative bulk length", "*2\r\n$-3\r\n", "ERR Protocol error: invalid bulk length"},
      {"overflowing bulk length", "*2\r\n$99999999999999999999\r\n",
       "ERR Protocol error: invalid bulk length"},
      {"bulk length with a sign", "*1\r\n$+4\r\nPING\r\n",
       "ERR Protocol error: invalid bulk length"},
      {"bulk length with a leading zero", "*1\r\n$04\r\nPING\r\n",
       "ERR Protocol error: invalid bulk length"},
      {"missing CRLF after a bulk", "*1\r\n$4\r\nPINGxx",
       "ERR Protocol error: missing CRLF after bulk argument"},
      {"LF only after a bulk", "*1\r\n$4\r\nPING\n\n",
       "ERR Protocol error: missing CRLF after bulk argument"},
      {"huge declared bulk over the limit, no body", "*2\r\n$3\r\nGET\r\n$2147483648\r\n",
       "ERR Protocol error: invalid bulk length"},
      {"huge declared array over the limit", "*2147483647\r\n",
       "ERR Protocol error: invalid multibulk length"},
      // Exactly one byte past the 64 KiB a length line may take, so the server has read
      // everything when it closes (unread input would turn the close into a reset).
      {"length line longer than 64 KiB", "*1\r\n$" + std::string(64 * 1024, '1'),
       "ERR Protocol error: too big bulk count string"},
      {"multibulk count line longer than 64 KiB", "*" + std::string(64 * 1024, '1'),
       "ERR Protocol error: too big mbulk count string"},
  };
  KeepdProcess keepd(malformed_input_settings("malformed"));
  write_witness(keepd.port());
  for (const MalformedCase& bad : cases) {
    INFO(bad.name);
    RawClient client(keepd.port());
    REQUIRE(client.send(bad.bytes));
    check_error_then_close(client, bad.error);
    check_still_serving(keepd.port());
  }
  CHECK(keepd.running());
}

TEST_CASE("valid requests before a malformed one are answered first", "[malformed]") {
  KeepdProcess keepd(malformed_input_settings("malformed-after-valid"));
  RawClient client(keepd.port());
  REQUIRE(client.send(encode_command({"SET", "before", "1"}) + encode_command({"GET", "before"}) +
                      "*1\r\n$x\r\n"));
  CHECK(client.read_reply().text == "OK");
  CHECK(client.read_reply().text == "1");
  check_error_then_close(client, "ERR Protocol error: invalid bulk length");
  CHECK(RawClient(keepd.port()).command({"GET", "before"}).text == "1");
}

TEST_CASE("pipelined writes before a malformed request are answered before its error",
          "[malformed]") {
  // The writes are still being committed when the malformed request is parsed; their
  // replies were sent after the error until connection_fuzz found it.
  KeepdProcess keepd(malformed_input_settings("malformed-after-writes"));
  RawClient client(keepd.port());
  REQUIRE(client.send(encode_command({"SET", "a", "1"}) + encode_command({"INCR", "n"}) +
                      encode_command({"SET", "b", "2"}) + "*1\r\n$x\r\n"));
  CHECK(client.read_reply().text == "OK");
  CHECK(client.read_reply().integer == 1);
  CHECK(client.read_reply().text == "OK");
  check_error_then_close(client, "ERR Protocol error: invalid bulk length");
  CHECK(RawClient(keepd.port()).command({"GET", "b"}).text == "2");
}

TEST_CASE("empty and null arrays and binary inline garbage are skipped", "[malformed]") {
  KeepdProcess keepd(malformed_input_settings("malformed-skipped"));
  RawClient client(keepd.port());
  // Redis skips *0 and *-1, and an inline line that splits into no arguments.
  REQUIRE(client.send("*0\r\n*-1\r\n\x00\x01\x02\r\n" + encode_command({"PING"})));
  CHECK(client.read_reply().text == "PONG");
  // An unknown type byte starts an inline command, as in Redis.
  REQUIRE(client.send("?abc\r\n"));
  CHECK(client.read_reply().text == "ERR unknown command '?abc', with args beginning with: ");
  CHECK(client.command({"PING"}).text == "PONG");
}

TEST_CASE("huge declared bulks within the limit allocate nothing up front", "[malformed]") {
  // 20 connections each announce a bulk of max_bulk_bytes and send no body: memory must
  // not grow by 20 MiB, and the stalled requests are closed by request_timeout_ms.
  KeepdProcess keepd(malformed_input_settings("malformed-declared"));
  write_witness(keepd.port());
  const std::size_t before = resident_kib(keepd.pid());
  std::vector<std::unique_ptr<RawClient>> stalled;
  for (int i = 0; i < 20; ++i) {
    stalled.push_back(std::make_unique<RawClient>(keepd.port()));
    REQUIRE(stalled.back()->send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(kMaxBulk) +
                                 "\r\n"));
  }
  check_still_serving(keepd.port());  // all 20 headers have been read by now
  const std::size_t after = resident_kib(keepd.pid());
  CHECK(after < before + 10 * 1024);
  for (auto& client : stalled) CHECK(client->wait_closed());
  CHECK(keepd.wait_for_log("limits.request_timeout_ms"));
  check_still_serving(keepd.port());
}
