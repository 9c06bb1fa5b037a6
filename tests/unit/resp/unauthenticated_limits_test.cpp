// Tests for the parser's limits while the client has not authenticated: Redis's exact
// texts, refusal as the header is parsed (before any of the declared size has arrived),
// the inline cap, authenticated parsing unaffected, and the wipe of the parser's own copy
// of an inline request's arguments.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/resp/request_parser.h"

using keepdb::resp::kUnauthenticatedMaxArrayLen;
using keepdb::resp::kUnauthenticatedMaxBulkBytes;
using keepdb::resp::kUnauthenticatedMaxInlineBytes;
using keepdb::resp::ParseStatus;
using keepdb::resp::RequestLimits;
using keepdb::resp::RequestParser;

namespace {

constexpr std::string_view kUnauthMultibulk = "ERR Protocol error: unauthenticated multibulk length";
constexpr std::string_view kUnauthBulk = "ERR Protocol error: unauthenticated bulk length";
constexpr std::string_view kUnauthInline = "ERR Protocol error: unauthenticated inline length";

RequestParser unauthenticated_parser(const RequestLimits& limits = {}) {
  RequestParser parser(limits);
  parser.set_authenticated(false);
  return parser;
}

std::string bulk(std::string_view arg) {
  return "$" + std::to_string(arg.size()) + "\r\n" + std::string(arg) + "\r\n";
}

std::string multibulk(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args) out += bulk(arg);
  return out;
}

// A request of `count` arguments ("EXISTS" and keys).
std::vector<std::string> arguments(std::size_t count) {
  std::vector<std::string> args{"EXISTS"};
  while (args.size() < count) args.push_back("k" + std::to_string(args.size()));
  return args;
}

}  // namespace

TEST_CASE("unauthenticated: more than 10 arguments is refused at the *N header",
          "[parser][unauthenticated]") {
  std::vector<std::string_view> args;
  auto parser = unauthenticated_parser();
  // Nothing but the header has arrived: refused before any argument is read.
  REQUIRE(parser.parse("*11\r\n", args) == ParseStatus::kError);
  CHECK(parser.error() == kUnauthMultibulk);
  REQUIRE(parser.parse("*1048576\r\n", args) == ParseStatus::kError);
  CHECK(parser.error() == kUnauthMultibulk);

  const std::string ten = multibulk(arguments(kUnauthenticatedMaxArrayLen));
  REQUIRE(parser.parse(ten, args) == ParseStatus::kComplete);
  CHECK(args.size() == 10);
  CHECK(parser.consumed() == ten.size());
}

TEST_CASE("unauthenticated: a bulk over 16384 bytes is refused at the $len header",
          "[parser][unauthenticated]") {
  std::vector<std::string_view> args;
  auto parser = unauthenticated_parser();
  // A 16 MiB bulk is declared and none of it sent: refused, nothing waited for.
  REQUIRE(parser.parse("*2\r\n$4\r\nAUTH\r\n$16777216\r\n", args) == ParseStatus::kError);
  CHECK(parser.error() == kUnauthBulk);
  CHECK(parser.bytes_needed() == 0);
  REQUIRE(parser.parse("*1\r\n$16385\r\n", args) == ParseStatus::kError);
  CHECK(parser.error() == kUnauthBulk);

  const std::string at_limit = std::string(kUnauthenticatedMaxBulkBytes, 's');
  const std::string request = multibulk({"AUTH", at_limit});
  const std::string header = request.substr(0, request.find(at_limit));
  REQUIRE(parser.parse(header, args) == ParseStatus::kIncomplete);
  REQUIRE(parser.parse(request, args) == ParseStatus::kComplete);
  CHECK(args.back() == at_limit);
}

TEST_CASE("unauthenticated: the configured limits keep their own errors where smaller",
          "[parser][unauthenticated]") {
  std::vector<std::string_view> args;
  auto parser = unauthenticated_parser({.max_bulk_bytes = 1000, .max_array_len = 4});
  REQUIRE(parser.parse("*1\r\n$2000\r\n", args) == ParseStatus::kError);
  CHECK(parser.error() == "ERR Protocol error: invalid bulk length");
  // Redis checks the unauthenticated count first.
  REQUIRE(parser.parse("*11\r\n", args) == ParseStatus::kError);
  CHECK(parser.error() == kUnauthMultibulk);
}

TEST_CASE("unauthenticated: an inline line is capped at 16384 bytes before its end arrives",
          "[parser][unauthenticated]") {
  std::vector<std::string_view> args;
  auto parser = unauthenticated_parser();
  const std::string at_limit = "PING " + std::string(kUnauthenticatedMaxInlineBytes - 5, 'p');
  REQUIRE(parser.parse(at_limit + "\r\n", args) == ParseStatus::kComplete);
  CHECK(args.size() == 2);

  REQUIRE(parser.parse(at_limit + "p", args) == ParseStatus::kError);
  CHECK(parser.error() == kUnauthInline);
  REQUIRE(parser.parse(at_limit + "p\r\n", args) == ParseStatus::kError);
  CHECK(parser.error() == kUnauthInline);

  // A configured max_inline_bytes below the cap keeps Redis's own text.
  auto small = unauthenticated_parser({.max_inline_bytes = 100});
  REQUIRE(small.parse(std::string(101, 'x'), args) == ParseStatus::kError);
  CHECK(small.error() == "ERR Protocol error: too big inline request");
}

TEST_CASE("unauthenticated: an authenticated client is not limited",
          "[parser][unauthenticated]") {
  std::vector<std::string_view> args;
  const std::string big_value(1 << 20, 'v');
  const std::string big = multibulk({"SET", "k", big_value});
  const std::string many = multibulk(arguments(kUnauthenticatedMaxArrayLen + 1));
  const std::string long_line = "ECHO " + std::string(kUnauthenticatedMaxInlineBytes, 'e') + "\r\n";

  RequestParser by_default(RequestLimits{});  // authenticated unless told otherwise
  auto after_auth = unauthenticated_parser();
  REQUIRE(after_auth.parse(multibulk({"AUTH", "token"}), args) == ParseStatus::kComplete);
  after_auth.set_authenticated(true);  // the connection does this once AUTH succeeded

  for (RequestParser* parser : {&by_default, &after_auth}) {
    REQUIRE(parser->parse(big, args) == ParseStatus::kComplete);
    CHECK(args.back() == big_value);
    REQUIRE(parser->parse(many, args) == ParseStatus::kComplete);
    CHECK(args.size() == kUnauthenticatedMaxArrayLen + 1);
    REQUIRE(parser->parse(long_line, args) == ParseStatus::kComplete);
    CHECK(args.back().size() == kUnauthenticatedMaxInlineBytes);
  }
}

TEST_CASE("wipe_arguments: no copy of an inline request's secret stays in the parser",
          "[parser][unauthenticated]") {
  std::vector<std::string_view> args;
  RequestParser parser(RequestLimits{});
  const std::string secret = "s3cret-token-0123456789abcdef";
  REQUIRE(parser.parse("AUTH \"" + secret + "\"\r\n", args) == ParseStatus::kComplete);
  REQUIRE(args.back() == secret);
  // The unescaped copy lives in the parser's storage, which stays allocated: the view
  // still points into it after the wipe.
  const char* const copy = args.back().data();
  parser.wipe_arguments();
  CHECK(std::all_of(copy, copy + secret.size(), [](char c) { return c == '\0'; }));
  // The parser still works afterwards.
  REQUIRE(parser.parse("PING\r\n", args) == ParseStatus::kComplete);
  CHECK(args.front() == "PING");
}
