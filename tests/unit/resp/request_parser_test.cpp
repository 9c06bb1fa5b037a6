// Tests for RequestParser: a corpus of valid requests fed split at every byte boundary,
// malformed input with Redis's error texts, limits, inline quoting and resumability.
#include <catch2/catch.hpp>

#include <chrono>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/resp/request_parser.h"

using namespace std::string_literals;
using keepdb::resp::ParseStatus;
using keepdb::resp::RequestLimits;
using keepdb::resp::RequestParser;

namespace {

using Args = std::vector<std::string>;

// What a connection sees after feeding a whole stream through one parser.
struct Outcome {
  std::vector<Args> requests;  // every completed request, in order
  std::string error;           // set if parsing stopped on kError
  std::size_t pending = 0;     // bytes left buffered at the end
  std::size_t bytes_needed = 0;

  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& outcome) {
  os << "{requests:";
  for (const Args& args : outcome.requests) {
    os << " [";
    for (const std::string& arg : args) os << '"' << arg << "\" ";
    os << "]";
  }
  return os << ", error: \"" << outcome.error << "\", pending: " << outcome.pending
            << ", bytes_needed: " << outcome.bytes_needed << "}";
}

// Feeds `stream` to a fresh parser as consecutive chunks ending at each of `cuts` (and at
// the end), the way a connection does: append, parse until kIncomplete, drop consumed().
Outcome feed(std::string_view stream, const std::vector<std::size_t>& cuts,
             const RequestLimits& limits = {}) {
  RequestParser parser(limits);
  Outcome outcome;
  std::string buffer;
  std::vector<std::string_view> args;
  std::size_t fed = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(stream.size());
  for (const std::size_t end : ends) {
    buffer.append(stream.substr(fed, end - fed));
    fed = end;
    for (;;) {
      const ParseStatus status = parser.parse(buffer, args);
      if (status == ParseStatus::kError) {
        outcome.error = parser.error();
        return outcome;
      }
      if (status == ParseStatus::kComplete) outcome.requests.emplace_back(args.begin(), args.end());
      buffer.erase(0, parser.consumed());  // invalidates args
      if (status == ParseStatus::kIncomplete) break;
    }
  }
  outcome.pending = buffer.size();
  outcome.bytes_needed = parser.bytes_needed();
  return outcome;
}

Outcome feed_whole(std::string_view stream, const RequestLimits& limits = {}) {
  return feed(stream, {}, limits);
}

Outcome feed_byte_by_byte(std::string_view stream, const RequestLimits& limits = {}) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  return feed(stream, cuts, limits);
}

// Checks that every way of splitting `stream` in two, and byte-by-byte feeding, gives
// the same outcome as feeding it whole; returns that outcome.
Outcome feed_every_split(std::string_view stream, const RequestLimits& limits = {}) {
  const Outcome whole = feed_whole(stream, limits);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    INFO("split at byte " << cut);
    REQUIRE(feed(stream, {cut}, limits) == whole);
  }
  REQUIRE(feed_byte_by_byte(stream, limits) == whole);
  return whole;
}

std::string multibulk(const Args& args) {
  std::string out = "*"s + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args)
    out += "$"s + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  return out;
}

struct Case {
  std::string input;
  std::vector<Args> expected;
};

std::vector<Case> valid_corpus() {
  return {
      {"*1\r\n$4\r\nPING\r\n", {{"PING"}}},
      {"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", {{"SET", "key", "value"}}},
      {"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", {{"ECHO", ""}}},
      {"*2\r\n$4\r\nECHO\r\n$8\r\na\r\nb\0c\r\n\r\n"s, {{"ECHO", "a\r\nb\0c\r\n"s}}},
      {multibulk({"SET", "k", std::string(300, '\n')}), {{"SET", "k", std::string(300, '\n')}}},
      {"PING\r\n", {{"PING"}}},
      {"PING\n", {{"PING"}}},
      {"  SET   key\tvalue  \r\n", {{"SET", "key", "value"}}},
      {"SET k \"a b\"\r\n", {{"SET", "k", "a b"}}},
      {"\r\n\n   \r\n*0\r\n*-1\r\n*-5\r\nPING\r\n", {{"PING"}}},
      {"*1\r\n$4\r\nPING\r\nGET k\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
       {{"PING"}, {"GET", "k"}, {"GET", "k"}}},
  };
}

}  // namespace

TEST_CASE("parser: every valid request gives the same args at every split", "[parser]") {
  for (const Case& c : valid_corpus()) {
    INFO("input: " << c.input);
    const Outcome outcome = feed_every_split(c.input);
    CHECK(outcome.error.empty());
    CHECK(outcome.requests == c.expected);
    CHECK(outcome.pending == 0);
    CHECK(outcome.bytes_needed == 0);
  }
}

TEST_CASE("parser: a pipeline of the whole corpus parses at every split", "[parser]") {
  std::string pipeline;
  std::vector<Args> expected;
  for (const Case& c : valid_corpus()) {
    pipeline += c.input;
    expected.insert(expected.end(), c.expected.begin(), c.expected.end());
  }
  const Outcome outcome = feed_every_split(pipeline);
  CHECK(outcome.error.empty());
  CHECK(outcome.requests == expected);
  CHECK(outcome.pending == 0);
}

TEST_CASE("parser: mutated requests give the same outcome however they are split", "[parser]") {
  std::string pipeline;
  for (const Case& c : valid_corpus()) pipeline += c.input;
  std::mt19937 random(20240601);
  const std::string interesting = "*$\r\n-0123456789 \"'\\x";
  for (int round = 0; round < 300; ++round) {
    std::string mutated = pipeline;
    for (int edits = 1 + static_cast<int>(random() % 3); edits > 0; --edits) {
      const std::size_t at = random() % mutated.size();
      mutated[at] = random() % 2 ? interesting[random() % interesting.size()]
                                 : static_cast<char>(random() % 256);
    }
    std::vector<std::size_t> cuts;
    for (std::size_t at = random() % 7; at < mutated.size(); at += 1 + random() % 7) {
      cuts.push_back(at);
    }
    INFO("input: " << mutated);
    CHECK(feed(mutated, cuts) == feed_whole(mutated));
    CHECK(feed_byte_by_byte(mutated) == feed_whole(mutated));
  }
}

TEST_CASE("parser: consumed() covers exactly one request of a pipeline", "[parser]") {
  const std::string first = multibulk({"SET", "a", "1"});
  const std::string pipeline = first + "GET a\r\n";
  RequestParser parser({});
  std::vector<std::string_view> args;
  REQUIRE(parser.parse(pipeline, args) == ParseStatus::kComplete);
  CHECK(parser.consumed() == first.size());
  CHECK(args == std::vector<std::string_view>{"SET", "a", "1"});
  REQUIRE(parser.parse(std::string_view(pipeline).substr(first.size()), args) ==
          ParseStatus::kComplete);
  CHECK(parser.consumed() == 7);
  CHECK(args == std::vector<std::string_view>{"GET", "a"});
}

TEST_CASE("parser: empty input is incomplete with nothing pending", "[parser]") {
  RequestParser parser({});
  std::vector<std::string_view> args;
  CHECK(parser.parse("", args) == ParseStatus::kIncomplete);
  CHECK(parser.consumed() == 0);
  CHECK(parser.bytes_needed() == 0);
}

TEST_CASE("parser: blank lines before a partial request are consumed", "[parser]") {
  RequestParser parser({});
  std::vector<std::string_view> args;
  CHECK(parser.parse("\r\n\r\n*0\r\n*1\r\n$4\r\nPI", args) == ParseStatus::kIncomplete);
  CHECK(parser.consumed() == 8);
  REQUIRE(parser.parse("*1\r\n$4\r\nPING\r\n", args) == ParseStatus::kComplete);
  CHECK(parser.consumed() == 14);
  CHECK(args == std::vector<std::string_view>{"PING"});
}

TEST_CASE("parser: malformed multibulk gives Redis's error at every split", "[parser]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"*1\r\nx3\r\nfoo\r\n", "ERR Protocol error: expected '$', got 'x'"},
      {"*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '"},
      {"*2\r\n$3\r\nGET\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"},
      {"*99999999999999999999\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*abc\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*01\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*+1\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*1 \r\n", "ERR Protocol error: invalid multibulk length"},
      {"*1\rX$4\r\nPING\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$99999999999999999999\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$3x\r\nfoo\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$3\r\nfooXY", "ERR Protocol error: missing CRLF after bulk argument"},
      {"*1\r\n$3\r\nfoo\rX", "ERR Protocol error: missing CRLF after bulk argument"},
      {"*1\r\n$3\r\nfoo\n\r", "ERR Protocol error: missing CRLF after bulk argument"},
      {"*1\r\n$3\r\nfoobar\r\n", "ERR Protocol error: missing CRLF after bulk argument"},
  };
  for (const auto& [input, error] : cases) {
    INFO("input: " << input);
    const Outcome outcome = feed_every_split(input);
    CHECK(outcome.error == error);
    CHECK(outcome.requests.empty());
  }
}

TEST_CASE("parser: requests before a malformed one are still delivered", "[parser]") {
  const Outcome outcome = feed_every_split("PING\r\n*1\r\n$-3\r\n");
  CHECK(outcome.requests == std::vector<Args>{{"PING"}});
  CHECK(outcome.error == "ERR Protocol error: invalid bulk length");
}

TEST_CASE("parser: header line over 64 KiB without CRLF is too big", "[parser]") {
  const std::size_t max_header = 64u << 10;
  struct HeaderCase {
    std::string prefix;  // everything before the header line's digits
    std::string too_big;
    std::string invalid;
  };
  const std::vector<HeaderCase> cases = {
      {"*", "ERR Protocol error: too big mbulk count string",
       "ERR Protocol error: invalid multibulk length"},
      {"*1\r\n$", "ERR Protocol error: too big bulk count string",
       "ERR Protocol error: invalid bulk length"},
  };
  for (const HeaderCase& c : cases) {
    INFO("header " << c.prefix);
    const std::string longest = c.prefix + std::string(max_header - 1, '1');
    CHECK(feed_whole(longest).error.empty());
    CHECK(feed_byte_by_byte(longest + "1").error == c.too_big);
    CHECK(feed_whole(longest + "1\r\n").error == c.too_big);
    CHECK(feed_whole(longest + "\r\n").error == c.invalid);
  }
}

TEST_CASE("parser: huge declared bulk with no body is incomplete, not allocated", "[parser]") {
  RequestLimits limits;
  limits.max_bulk_bytes = std::size_t{1} << 40;
  RequestParser parser(limits);
  std::vector<std::string_view> args;
  const std::string header = "*2\r\n$3\r\nSET\r\n$1000000000000\r\n";
  REQUIRE(parser.parse(header, args) == ParseStatus::kIncomplete);
  CHECK(parser.consumed() == 0);
  CHECK(parser.bytes_needed() == header.size() + 1000000000000 + 2);
}

TEST_CASE("parser: bytes_needed tracks the pending request", "[parser]") {
  const std::string request = "*1\r\n$1000000\r\n"s + std::string(1000000, 'v') + "\r\n";
  const std::size_t payload_start = 14;
  RequestParser parser({});
  std::vector<std::string_view> args;
  const std::string_view stream = request;
  REQUIRE(parser.parse(stream.substr(0, 3), args) == ParseStatus::kIncomplete);
  CHECK(parser.bytes_needed() == 4);
  REQUIRE(parser.parse(stream.substr(0, payload_start), args) == ParseStatus::kIncomplete);
  CHECK(parser.bytes_needed() == request.size());
  REQUIRE(parser.parse(stream.substr(0, request.size() - 1), args) == ParseStatus::kIncomplete);
  CHECK(parser.bytes_needed() == request.size());
  REQUIRE(parser.parse(stream, args) == ParseStatus::kComplete);
  CHECK(parser.bytes_needed() == 0);
  CHECK(args.size() == 1);
  CHECK(args[0].size() == 1000000);
}

TEST_CASE("parser: limits on array length, bulk size and inline length", "[parser]") {
  RequestLimits limits;
  limits.max_array_len = 3;
  limits.max_bulk_bytes = 10;
  limits.max_inline_bytes = 16;
  SECTION("array length") {
    CHECK(feed_every_split(multibulk({"a", "b", "c"}), limits).requests.size() == 1);
    CHECK(feed_every_split("*4\r\n", limits).error ==
          "ERR Protocol error: invalid multibulk length");
  }
  SECTION("bulk size") {
    CHECK(feed_every_split(multibulk({std::string(10, 'x')}), limits).requests.size() == 1);
    CHECK(feed_every_split("*1\r\n$11\r\n", limits).error ==
          "ERR Protocol error: invalid bulk length");
    CHECK(feed_whole("*1\r\n$1000000000\r\n").error ==
          "ERR Protocol error: invalid bulk length");
  }
  SECTION("inline length") {
    const std::string longest = "GET "s + std::string(12, 'k');
    CHECK(feed_every_split(longest + "\r\n", limits).requests ==
          std::vector<Args>{{"GET", std::string(12, 'k')}});
    CHECK(feed_every_split(longest + "\n", limits).requests.size() == 1);
    CHECK(feed_every_split(longest + "\r", limits).error.empty());
    CHECK(feed_every_split(longest + "k\r\n", limits).error ==
          "ERR Protocol error: too big inline request");
    CHECK(feed_every_split(longest + "kk", limits).error ==
          "ERR Protocol error: too big inline request");
    CHECK(feed_every_split(longest + "\rk", limits).error ==
          "ERR Protocol error: too big inline request");
  }
}

TEST_CASE("parser: inline quoting follows sdssplitargs", "[parser]") {
  const std::vector<std::pair<std::string, Args>> cases = {
      {"SET \"a b\" c", {"SET", "a b", "c"}},
      {"ECHO \"\\x41\\x4a\\n\\r\\t\\b\\a\\\\\\\"q\"", {"ECHO", "AJ\n\r\t\b\a\\\"q"}},
      {"ECHO \"\\xZZ\\y\"", {"ECHO", "xZZy"}},
      {"ECHO \"\\x00\"", {"ECHO", "\0"s}},
      {"ECHO 'it\\'s'", {"ECHO", "it's"}},
      {"ECHO 'a\\nb \"c\"'", {"ECHO", "a\\nb \"c\""}},
      {"SET k \"\"", {"SET", "k", ""}},
      {"SET k ''", {"SET", "k", ""}},
      {"a\"b c\"", {"ab c"}},
      {"\"a\"\t'b'", {"a", "b"}},
      {"\vGET\fk", {"GET\fk"}},
      {"PING\0junk"s, {"PING"}},
  };
  for (const auto& [line, expected] : cases) {
    INFO("line: " << line);
    const Outcome outcome = feed_every_split(line + "\r\n");
    CHECK(outcome.error.empty());
    CHECK(outcome.requests == std::vector<Args>{expected});
  }
}

TEST_CASE("parser: unbalanced inline quotes are an error", "[parser]") {
  const std::vector<std::string> lines = {"SET \"k v",    "SET 'k v",  "SET \"k\"v", "SET 'k'v",
                                          "ECHO \"a\\\"", "ECHO \"\\", "\"a\0\""s};
  for (const std::string& line : lines) {
    INFO("line: " << line);
    CHECK(feed_every_split(line + "\r\n").error ==
          "ERR Protocol error: unbalanced quotes in request");
  }
}

TEST_CASE("parser: byte-at-a-time feeding stays linear", "[parser]") {
  // 100k one-byte args: rescanning completed args on every call would take minutes.
  const std::size_t n_args = 100000;
  std::string request = "*"s + std::to_string(n_args) + "\r\n";
  for (std::size_t i = 0; i < n_args; ++i) request += "$1\r\nx\r\n";
  const std::string line = "ECHO "s + std::string(60000, 'y') + "\r\n";
  const auto start = std::chrono::steady_clock::now();
  const Outcome multibulk_outcome = feed_byte_by_byte(request);
  const Outcome inline_outcome = feed_byte_by_byte(line);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(multibulk_outcome.requests.size() == 1);
  CHECK(multibulk_outcome.requests[0].size() == n_args);
  REQUIRE(inline_outcome.requests.size() == 1);
  CHECK(inline_outcome.requests[0][1].size() == 60000);
  CHECK(elapsed < std::chrono::seconds(20));
}
