// Every configured limit exceeded against a real keepd configured with a small value: the
// client sees the documented error (or a close), the log names the limit, the server
// keeps serving others and the data written before is intact. Values at the limit pass.
#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/limits/survival.h"

using namespace keepdb::integration;

namespace {

std::string bulk_header(std::size_t length) {
  return "$" + std::to_string(length) + "\r\n";
}

// The log line keepd writes when it closes a client, with the reason.
constexpr const char* kClosingClient = "closing client id=";

}  // namespace

TEST_CASE("max_bulk_bytes: a bulk string over the limit is a protocol error", "[limits]") {
  KeepdProcess keepd(KeepdSettings("limit-bulk").limit("max_bulk_bytes", 1024));
  write_witness(keepd.port());
  RawClient at_limit(keepd.port());
  CHECK(at_limit.command({"SET", "big", std::string(1024, 'x')}).text == "OK");
  CHECK(at_limit.command({"STRLEN", "big"}).integer == 1024);

  RawClient over(keepd.port());
  REQUIRE(over.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n" + bulk_header(1025)));
  check_error_then_close(over, "ERR Protocol error: invalid bulk length");
  CHECK(keepd.wait_for_log("invalid bulk length"));
  check_still_serving(keepd.port());
}

TEST_CASE("max_bulk_bytes: APPEND cannot grow a value beyond the limit", "[limits]") {
  KeepdProcess keepd(KeepdSettings("limit-append").limit("max_bulk_bytes", 1024));
  RawClient client(keepd.port());
  CHECK(client.command({"APPEND", "grow", std::string(1000, 'a')}).integer == 1000);
  CHECK(client.command({"APPEND", "grow", std::string(24, 'b')}).integer == 1024);
  CHECK(client.command({"APPEND", "grow", "c"}).describe() ==
        "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  CHECK(client.command({"STRLEN", "grow"}).integer == 1024);
}

TEST_CASE("max_array_len: a request with too many elements is a protocol error", "[limits]") {
  KeepdProcess keepd(KeepdSettings("limit-array").limit("max_array_len", 8));
  write_witness(keepd.port());
  RawClient at_limit(keepd.port());
  CHECK(at_limit.command({"EXISTS", "a", "b", "c", "d", "e", "f", "witness"}).integer == 1);

  RawClient over(keepd.port());
  REQUIRE(over.send("*9\r\n"));
  check_error_then_close(over, "ERR Protocol error: invalid multibulk length");
  CHECK(keepd.wait_for_log("invalid multibulk length"));
  check_still_serving(keepd.port());
}

TEST_CASE("max_inline_bytes: an inline line over the limit is a protocol error", "[limits]") {
  KeepdProcess keepd(KeepdSettings("limit-inline").limit("max_inline_bytes", 100));
  write_witness(keepd.port());
  RawClient at_limit(keepd.port());
  const std::string line_of_100 = "ECHO " + std::string(95, 'a');
  REQUIRE(at_limit.send(line_of_100 + "\r\n"));
  CHECK(at_limit.read_reply().text == std::string(95, 'a'));

  SECTION("a complete line") {
    RawClient over(keepd.port());
    REQUIRE(over.send(line_of_100 + "a\r\n"));
    check_error_then_close(over, "ERR Protocol error: too big inline request");
  }
  SECTION("a line that never ends") {
    RawClient over(keepd.port());
    REQUIRE(over.send(std::string(101, 'b')));
    check_error_then_close(over, "ERR Protocol error: too big inline request");
  }
  CHECK(keepd.wait_for_log("too big inline request"));
  check_still_serving(keepd.port());
}

TEST_CASE("max_request_buffer_bytes: a request larger than the buffer is refused", "[limits]") {
  // The smallest legal buffer for 1 KiB bulks and inline lines: max_bulk_bytes + 1024.
  KeepdProcess keepd(KeepdSettings("limit-request-buffer")
                         .limit("max_bulk_bytes", 1024)
                         .limit("max_inline_bytes", 1024)
                         .limit("max_request_buffer_bytes", 2048));
  write_witness(keepd.port());
  RawClient at_limit(keepd.port());
  CHECK(at_limit.command({"SET", "fits", std::string(1024, 'f')}).text == "OK");

  // Each bulk is within max_bulk_bytes, but the request as a whole is not. Send exactly
  // the buffer's worth, so the server has read everything when it replies and closes.
  const std::string request =
      encode_command({"MSET", "a", std::string(1024, 'a'), "b", std::string(1024, 'b')});
  REQUIRE(request.size() > 2048);
  RawClient over(keepd.port());
  REQUIRE(over.send(request.substr(0, 2048)));
  check_error_then_close(
      over, "ERR Protocol error: request exceeds limits.max_request_buffer_bytes (2048 bytes)");
  CHECK(keepd.wait_for_log("limits.max_request_buffer_bytes"));
  check_still_serving(keepd.port());
  CHECK(RawClient(keepd.port()).command({"EXISTS", "a", "b"}).integer == 0);
}

// The server pauses a client whose replies pile up at the limit (memory stays bounded) and
// disconnects it once it has not read them for limits.request_timeout_ms.
TEST_CASE("max_reply_buffer_bytes: a client that never reads is disconnected", "[limits]") {
  constexpr std::size_t kValueBytes = 64 * 1024;
  // Sockets on the network thread, then on two I/O threads ([client] io_threads).
  const unsigned io_threads = GENERATE(0u, 2u);
  CAPTURE(io_threads);
  KeepdProcess keepd(KeepdSettings("limit-reply-buffer")
                         .io_threads(io_threads)
                         .limit("max_bulk_bytes", kValueBytes)
                         .limit("max_reply_buffer_bytes", kValueBytes + 1024)
                         .limit("request_timeout_ms", 1000));
  write_witness(keepd.port());
  RawClient writer(keepd.port());
  REQUIRE(writer.command({"SET", "large", std::string(kValueBytes, 'L')}).text == "OK");
  // One GET of the largest value is always readable.
  CHECK(writer.command({"GET", "large"}).text.size() == kValueBytes);

  // 2000 GETs ask for 128 MiB of replies, far beyond the socket buffers and the limit.
  RawClient::Options small_window;
  small_window.receive_buffer_bytes = 4096;
  RawClient greedy(keepd.port(), small_window);
  std::string gets;
  for (int i = 0; i < 2000; ++i) gets += encode_command({"GET", "large"});
  greedy.send(gets);  // may fail part-way once the server has closed the connection
  CHECK(keepd.wait_for_log("limits.max_reply_buffer_bytes"));
  CHECK(keepd.log().find("reply buffer limit exceeded") != std::string::npos);
  CHECK(greedy.wait_closed());
  check_still_serving(keepd.port());
}

// Backpressure: the server stops running a connection's requests while its unread replies
// are at the limit and resumes once they are read, so a reading client may pipeline any
// amount (Redis answers all 20 too).
TEST_CASE("max_reply_buffer_bytes: a client that reads may pipeline more than the limit",
          "[limits]") {
  constexpr std::size_t kValueBytes = 64 * 1024;
  KeepdProcess keepd(KeepdSettings("limit-reply-pipeline")
                         .limit("max_bulk_bytes", kValueBytes)
                         .limit("max_reply_buffer_bytes", kValueBytes + 1024));
  RawClient client(keepd.port());
  REQUIRE(client.command({"SET", "large", std::string(kValueBytes, 'L')}).text == "OK");
  std::vector<std::vector<std::string>> gets(20, {"GET", "large"});
  std::size_t answered = 0;
  try {
    for (const RespValue& reply : client.pipeline(gets))
      answered += reply.text.size() == kValueBytes;
  } catch (const std::exception& e) {
    UNSCOPED_INFO(e.what());
  }
  CHECK(answered == gets.size());
  CHECK(keepd.log().find("reply buffer limit exceeded") == std::string::npos);
}

TEST_CASE("max_connections: a connection beyond the limit is refused", "[limits]") {
  // Sockets on the network thread, then on two I/O threads ([client] io_threads).
  const unsigned io_threads = GENERATE(0u, 2u);
  CAPTURE(io_threads);
  KeepdProcess keepd(
      KeepdSettings("limit-connections").limit("max_connections", 3).io_threads(io_threads));
  write_witness(keepd.port());
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RawClient>(keepd.port()));
    REQUIRE(clients.back()->command({"PING"}).text == "PONG");  // accepted and registered
  }
  RawClient refused(keepd.port());
  check_error_then_close(refused, "ERR max number of clients reached");
  CHECK(keepd.wait_for_log("refusing connection: max_connections (3) reached"));

  // Once one client leaves, a new one is served (after the server notices the close).
  clients.pop_back();
  const bool served = poll_until(
      [&] {
        RawClient next(keepd.port());
        next.send(encode_command({"PING"}));
        try {
          return next.read_reply().text == "PONG";
        } catch (const std::exception&) {
          return false;  // refused: the server has not seen the close yet
        }
      },
      kReplyTimeout, 50ms);
  CHECK(served);
  clients.pop_back();
  // The closes reach the server after a hop (two with I/O threads): ask the one client left,
  // which needs no new connection, until it is the only one, then connect again.
  CHECK(poll_until(
      [&] {
        const std::string list = clients.front()->command({"CLIENT", "LIST"}).text;
        return std::count(list.begin(), list.end(), '\n') == 1;
      },
      kReplyTimeout, 50ms));
  check_still_serving(keepd.port());
}

TEST_CASE("idle_timeout_ms: an idle connection is closed, an active one is not", "[limits]") {
  KeepdProcess keepd(KeepdSettings("limit-idle").limit("idle_timeout_ms", 1000));
  write_witness(keepd.port());
  RawClient idle(keepd.port());
  RawClient active(keepd.port());
  REQUIRE(idle.command({"PING"}).text == "PONG");
  // The active client sends a command every 100 ms for 1.5 idle periods.
  const auto until = Clock::now() + 1500ms;
  while (Clock::now() < until) {
    REQUIRE(active.command({"PING"}).text == "PONG");
    std::this_thread::sleep_for(100ms);
  }
  CHECK(idle.wait_closed());
  CHECK(idle.buffered().empty());  // closed silently
  CHECK_FALSE(active.closed());
  CHECK(active.command({"PING"}).text == "PONG");
  CHECK(keepd.wait_for_log("idle for more than limits.idle_timeout_ms = 1000"));
  check_still_serving(keepd.port());
}

TEST_CASE("request_timeout_ms: a stalled partial request is closed (slowloris)", "[limits]") {
  // Sockets on the network thread, then on two I/O threads ([client] io_threads).
  const unsigned io_threads = GENERATE(0u, 2u);
  CAPTURE(io_threads);
  KeepdProcess keepd(KeepdSettings("limit-request-timeout")
                         .limit("request_timeout_ms", 500)
                         .io_threads(io_threads));
  write_witness(keepd.port());

  SECTION("a request that stops part-way") {
    RawClient stalled(keepd.port());
    REQUIRE(stalled.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nval"));
    check_still_serving(keepd.port());  // others are served meanwhile
    CHECK(stalled.wait_closed());
  }
  SECTION("a request trickled one byte every 50 ms") {
    // 200 bytes at 20 bytes/s would take 10 s; the deadline counts from the first byte.
    const std::string request = encode_command({"SET", "slow", std::string(160, 's')});
    RawClient trickler(keepd.port());
    std::size_t sent = 0;
    const bool closed = poll_until(
        [&] {
          if (sent < request.size() && trickler.send(request.substr(sent, 1))) ++sent;
          return trickler.wait_closed(0ms);
        },
        kReplyTimeout, 50ms);
    CHECK(closed);
    CHECK(sent < request.size());
    CHECK(RawClient(keepd.port()).command({"EXISTS", "slow"}).integer == 0);
  }
  CHECK(keepd.wait_for_log("request not completed within limits.request_timeout_ms = 500"));
  CHECK(keepd.log().find(kClosingClient) != std::string::npos);
  check_still_serving(keepd.port());
}

// redis-cli --pipe and bulk loaders stream requests without pause: nearly every read ends
// part-way through a request, yet every request completes at once. Only a request that
// stays incomplete for the timeout is a stalled sender.
TEST_CASE("request_timeout_ms: a steady pipeline that splits requests across reads is served",
          "[limits]") {
  KeepdProcess keepd(KeepdSettings("limit-request-pipeline").limit("request_timeout_ms", 300));
  std::string stream;
  std::vector<std::size_t> request_ends;  // offset just past each request
  // Made as the run needs them: a fast build answers millions in the time the run takes.
  const auto make_requests = [&] {
    for (std::size_t i = 0; i < 10'000; ++i) {
      const std::size_t number = request_ends.size();
      stream += encode_command({"SET", "pipe:" + std::to_string(number), std::string(40, 'v')});
      request_ends.push_back(stream.size());
    }
  };
  make_requests();
  RawClient loader(keepd.port());
  std::size_t sent = 0;
  std::size_t answered = 0;
  const auto started = Clock::now();
  // Run for several timeouts. Each write completes the request the previous one cut and
  // ten more, and stops 5 bytes into the next: no read can end between two requests.
  while (Clock::now() - started < 1500ms) {
    if (answered + 11 >= request_ends.size()) make_requests();
    const std::size_t until = request_ends[answered + 10] + 5;
    REQUIRE(loader.send(std::string_view(stream).substr(sent, until - sent)));
    sent = until;
    while (answered < request_ends.size() && request_ends[answered] <= sent) {
      REQUIRE(loader.read_reply().text == "OK");
      ++answered;
    }
  }
  // Complete the request the last write cut, so no partial request is left to time out.
  REQUIRE(loader.send(std::string_view(stream).substr(sent, request_ends[answered] - sent)));
  REQUIRE(loader.read_reply().text == "OK");
  ++answered;
  INFO("requests answered: " << answered);
  CHECK(Clock::now() - started >= 1500ms);  // the stream outlasted the timeout several times
  CHECK_FALSE(loader.wait_closed(0ms));
  CHECK(RawClient(keepd.port()).command({"DBSIZE"}).integer ==
        static_cast<std::int64_t>(answered));
  CHECK(keepd.log().find("slow or stalled sender") == std::string::npos);
}
