// Owns what a client that has not authenticated can cost a keepd with the token plugin:
// Redis's limits on unauthenticated requests (refused at the header, exact texts, then
// closed, memory bounded across many such clients), the AUTH deadline (limits.auth_timeout_ms)
// that NOAUTH spam does not postpone, an idle timer that refused requests do not refresh,
// the small reply queue before AUTH, and authenticated clients left unrestricted.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/auth/auth_keepd.h"
#include "tests/integration/auth/auth_support.h"
#include "tests/integration/harness/process_memory.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration::auth {
namespace {

constexpr std::string_view kUnauthBulk = "ERR Protocol error: unauthenticated bulk length";
constexpr std::string_view kUnauthMultibulk = "ERR Protocol error: unauthenticated multibulk length";

// A keepd with the token plugin, the standard principals and `limits`, started.
struct TokenNode {
  explicit TokenNode(IntegerKeys limits = {}) : node(with_limits(std::move(limits))) {
    node.start();
  }
  static AuthSetup with_limits(IntegerKeys limits) {
    AuthSetup setup = standard_setup();
    setup.limits = std::move(limits);
    return setup;
  }
  AuthKeepd node;
};

// The start of an AUTH whose secret is declared 16 MiB long.
const std::string kHugeAuthHeader = "*2\r\n$4\r\nAUTH\r\n$16777216\r\n";

// The next reply is the error `text`, then the server closes the connection.
void check_refused_then_closed(RawClient& client, std::string_view text) {
  CHECK(error_of(client.read_reply()) == text);
  CHECK(client.wait_closed());
}

// Sends a refused command over and over (reading each NOAUTH) until the server closes the
// connection; true if it did within `timeout`.
bool spam_noauth_until_closed(RawClient& client, milliseconds timeout) {
  return poll_until(
      [&] {
        if (!client.send(encode_command({"GET", "k"}))) return true;
        RespValue reply;
        try {
          reply = client.read_reply();
        } catch (const std::runtime_error&) {  // closed while the reply was on its way
          return client.closed();
        }
        CHECK(error_of(reply) == kNoAuth);
        return false;
      },
      timeout, 20ms);
}

TEST_CASE("unauthenticated: a huge bulk or many arguments are refused at the header",
          "[auth][unauthenticated]") {
  TokenNode t;
  RawClient bulk(t.node.port());
  REQUIRE(bulk.send(kHugeAuthHeader));
  check_refused_then_closed(bulk, kUnauthBulk);

  RawClient many(t.node.port());
  REQUIRE(many.send("*11\r\n"));
  check_refused_then_closed(many, kUnauthMultibulk);

  RawClient long_inline(t.node.port());
  REQUIRE(long_inline.send("AUTH " + std::string(16 * 1024, 't')));  // no end of line yet
  check_refused_then_closed(long_inline, "ERR Protocol error: unauthenticated inline length");

  // Within the limits an unauthenticated client is answered as before.
  RawClient within(t.node.port());
  CHECK(error_of(within.command({"AUTH", std::string(16384, 't')})) == kWrongPass);
  CHECK(t.node.wait_for_log("unauthenticated bulk length"));
}

TEST_CASE("unauthenticated: 20 clients sending 16 MiB bulks leave memory bounded",
          "[auth][unauthenticated]") {
  // A short request timeout ends the stalled requests quickly if they were ever accepted.
  TokenNode t({{"request_timeout_ms", 1000}});
  const std::size_t peak_before = peak_resident_kib(t.node.pid());
  const std::string body(4 << 20, 's');
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<RawClient>(t.node.port()));
    // The server refuses at the header and closes; the rest of the send then fails.
    clients.back()->send(kHugeAuthHeader + body);
  }
  for (auto& client : clients) CHECK(client->wait_closed());
  // Buffering the bodies would have taken 80 MiB at once; refused, each client costs a
  // few KiB. The peak shows memory held for a moment and freed since.
  CHECK(peak_resident_kib(t.node.pid()) < peak_before + 16 * 1024);
  RawClient ops(t.node.port());
  REQUIRE(auth(ops, {kOps.token}).text == "OK");
  CHECK(ops.command({"PING"}).text == "PONG");
}

TEST_CASE("unauthenticated: an authenticated client still sends large requests",
          "[auth][unauthenticated]") {
  TokenNode t;
  const std::string value(1 << 20, 'v');
  RawClient client(t.node.port());
  REQUIRE(auth(client, {kOps.token}).text == "OK");
  CHECK(client.command({"SET", "big", value}).text == "OK");
  CHECK(client.command({"GET", "big"}).text == value);
  CHECK(client.command({"MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"})
            .text == "OK");

  // AUTH (or HELLO ... AUTH) lifts the limits for the rest of its own pipeline, as in Redis.
  RawClient pipelined(t.node.port());
  const auto replies = pipelined.pipeline(
      {{"AUTH", kWriter.token}, {"SET", "big2", value}, {"STRLEN", "big2"}});
  REQUIRE(replies.size() == 3);
  CHECK(replies[0].text == "OK");
  CHECK(replies[1].text == "OK");
  CHECK(replies[2].integer == 1 << 20);
  RawClient hello(t.node.port());
  const auto hello_replies = hello.pipeline(
      {{"HELLO", "3", "AUTH", kOps.name, kOps.token}, {"SET", "big3", value}, {"STRLEN", "big3"}});
  REQUIRE(hello_replies.size() == 3);
  CHECK(hello_replies[0].type == '%');
  CHECK(hello_replies[1].text == "OK");
  CHECK(hello_replies[2].integer == 1 << 20);
}

TEST_CASE("unauthenticated: the AUTH deadline closes a client, NOAUTH spam or not",
          "[auth][unauthenticated]") {
  TokenNode t({{"auth_timeout_ms", 500}});
  const auto connected = Clock::now();
  RawClient silent(t.node.port());
  RawClient spammer(t.node.port());
  RawClient authenticated(t.node.port());
  REQUIRE(auth(authenticated, {kOps.token}).text == "OK");

  CHECK(spam_noauth_until_closed(spammer, kReplyTimeout));
  CHECK(silent.wait_closed());
  CHECK(Clock::now() - connected >= 500ms);
  CHECK(t.node.wait_for_log("not authenticated within limits.auth_timeout_ms = 500"));
  CHECK(line_with(t.node.log(), {"not authenticated within"}).find(kOps.token) ==
        std::string::npos);
  // Past the deadline too, but authenticated in time: still served.
  CHECK(authenticated.command({"PING"}).text == "PONG");
}

TEST_CASE("unauthenticated: refused requests do not refresh the idle timer",
          "[auth][unauthenticated]") {
  TokenNode t({{"auth_timeout_ms", 0}, {"idle_timeout_ms", 500}});
  const auto connected = Clock::now();
  RawClient spammer(t.node.port());
  RawClient authenticated(t.node.port());
  REQUIRE(auth(authenticated, {kOps.token}).text == "OK");
  // The authenticated client's PINGs are activity; the spammer's NOAUTHs are not.
  CHECK(poll_until(
      [&] {
        CHECK(authenticated.command({"PING"}).text == "PONG");
        if (!spammer.send(encode_command({"PING"}))) return true;
        try {
          spammer.read_reply();
        } catch (const std::runtime_error&) {
          return spammer.closed();
        }
        return false;
      },
      kReplyTimeout, 50ms));
  CHECK(Clock::now() - connected >= 500ms);
  CHECK(t.node.wait_for_log("idle for more than limits.idle_timeout_ms = 500"));
  CHECK(authenticated.command({"PING"}).text == "PONG");
}

TEST_CASE("unauthenticated: a client that does not read its replies is paused early",
          "[auth][unauthenticated]") {
  // No AUTH deadline: the small reply queue before AUTH is what stops this client.
  TokenNode t({{"auth_timeout_ms", 0}, {"request_timeout_ms", 500}});
  RawClient client(t.node.port(), RawClient::Options{.receive_buffer_bytes = 4096});
  // HELLO before AUTH answers Redis's long HELLO-specific NOAUTH: 8 MiB of these requests
  // ask for about 70 MiB of replies.
  const std::string hello = encode_command({"HELLO", "3"});
  std::string requests;
  while (requests.size() < (8u << 20)) requests += hello;
  // The server stops reading once 64 KiB of replies wait, so the send may fail. The
  // client reads nothing: the log tells how the server ended the connection.
  client.send(requests);
  CHECK(t.node.wait_for_log("limit before authentication = 65536"));
}

}  // namespace
}  // namespace keepdb::integration::auth
