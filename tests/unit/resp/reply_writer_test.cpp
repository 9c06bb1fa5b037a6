// Tests for ReplyWriter: every method, byte for byte against what Redis 7 sends, in
// RESP2 and RESP3.
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "kernel/resp/reply_writer.h"

using namespace std::string_literals;
using keepdb::resp::Protocol;
using keepdb::resp::ReplyWriter;

namespace {

// The bytes `write` appends in `protocol`.
std::string encode(Protocol protocol, const std::function<void(ReplyWriter&)>& write) {
  std::string out;
  ReplyWriter writer(out, protocol);
  write(writer);
  return out;
}

// Checks that `write` produces `resp2` in RESP2 and `resp3` in RESP3.
void check_both(const std::function<void(ReplyWriter&)>& write, const std::string& resp2,
                const std::string& resp3) {
  CHECK(encode(Protocol::kResp2, write) == resp2);
  CHECK(encode(Protocol::kResp3, write) == resp3);
}

// Checks that `write` produces `expected` whatever the protocol.
void check_same(const std::function<void(ReplyWriter&)>& write, const std::string& expected) {
  check_both(write, expected, expected);
}

}  // namespace

TEST_CASE("writer: simple strings", "[writer]") {
  check_same([](ReplyWriter& w) { w.simple("OK"); }, "+OK\r\n");
  check_same([](ReplyWriter& w) { w.simple(""); }, "+\r\n");
  check_same([](ReplyWriter& w) { w.simple("a\r\nb"); }, "+a  b\r\n");
}

TEST_CASE("writer: errors", "[writer]") {
  check_same([](ReplyWriter& w) { w.error("ERR unknown command 'FOO'"); },
             "-ERR unknown command 'FOO'\r\n");
  check_same([](ReplyWriter& w) { w.error("NOAUTH Authentication required."); },
             "-NOAUTH Authentication required.\r\n");
  check_same([](ReplyWriter& w) { w.error("ERR bad\nline"); }, "-ERR bad line\r\n");
}

TEST_CASE("writer: client bytes in an error are escaped, printable ASCII kept", "[writer]") {
  // Control bytes, DEL, NUL and bytes that are not ASCII (valid UTF-8 or not) become \xNN;
  // CR/LF become spaces and backslashes stay, as in Redis.
  check_same([](ReplyWriter& w) { w.error("ERR unknown command 'a\x01\x1b[31m\x7f\0b'"s); },
             "-ERR unknown command 'a\\x01\\x1b[31m\\x7f\\x00b'\r\n");
  check_same([](ReplyWriter& w) { w.error("ERR got '\xff\xfe\xc3\x28' 'caf\xc3\xa9'"); },
             "-ERR got '\\xff\\xfe\\xc3(' 'caf\\xc3\\xa9'\r\n");
  check_same([](ReplyWriter& w) { w.error("ERR a\r\nb \\x41 ~"); }, "-ERR a  b \\x41 ~\r\n");
}

TEST_CASE("writer: integers", "[writer]") {
  check_same([](ReplyWriter& w) { w.integer(0); }, ":0\r\n");
  check_same([](ReplyWriter& w) { w.integer(-42); }, ":-42\r\n");
  check_same([](ReplyWriter& w) { w.integer(std::numeric_limits<std::int64_t>::max()); },
             ":9223372036854775807\r\n");
  check_same([](ReplyWriter& w) { w.integer(std::numeric_limits<std::int64_t>::min()); },
             ":-9223372036854775808\r\n");
}

TEST_CASE("writer: bulk strings are binary safe", "[writer]") {
  check_same([](ReplyWriter& w) { w.bulk("bar"); }, "$3\r\nbar\r\n");
  check_same([](ReplyWriter& w) { w.bulk(""); }, "$0\r\n\r\n");
  check_same([](ReplyWriter& w) { w.bulk("a\r\n\0b"s); }, "$5\r\na\r\n\0b\r\n"s);
}

TEST_CASE("writer: nulls", "[writer]") {
  check_both([](ReplyWriter& w) { w.null(); }, "$-1\r\n", "_\r\n");
  check_both([](ReplyWriter& w) { w.null_array(); }, "*-1\r\n", "_\r\n");
}

TEST_CASE("writer: aggregates", "[writer]") {
  check_same([](ReplyWriter& w) { w.array(0); }, "*0\r\n");
  check_same(
      [](ReplyWriter& w) {
        w.array(2);
        w.bulk("a");
        w.integer(1);
      },
      "*2\r\n$1\r\na\r\n:1\r\n");
  check_both([](ReplyWriter& w) { w.map(3); }, "*6\r\n", "%3\r\n");
  check_both([](ReplyWriter& w) { w.map(0); }, "*0\r\n", "%0\r\n");
  check_both([](ReplyWriter& w) { w.set(4); }, "*4\r\n", "~4\r\n");
}

TEST_CASE("writer: booleans", "[writer]") {
  check_both([](ReplyWriter& w) { w.boolean(true); }, ":1\r\n", "#t\r\n");
  check_both([](ReplyWriter& w) { w.boolean(false); }, ":0\r\n", "#f\r\n");
}

TEST_CASE("writer: doubles use %.17g like Redis's addReplyDouble", "[writer]") {
  const auto check_double = [](double value, const std::string& text) {
    INFO("value " << text);
    const std::string length = std::to_string(text.size());
    check_both([value](ReplyWriter& w) { w.dbl(value); }, "$" + length + "\r\n" + text + "\r\n",
               "," + text + "\r\n");
  };
  check_double(1.5, "1.5");
  check_double(3.0, "3");
  check_double(0.0, "0");
  check_double(-0.0, "-0");
  check_double(0.1, "0.10000000000000001");
  check_double(-2.5e-7, "-2.4999999999999999e-07");
  check_double(1e300, "1.0000000000000001e+300");
  check_double(123456789012345678.0, "1.2345678901234568e+17");
  check_double(std::numeric_limits<double>::infinity(), "inf");
  check_double(-std::numeric_limits<double>::infinity(), "-inf");
  check_double(std::numeric_limits<double>::quiet_NaN(), "nan");
  check_double(-std::numeric_limits<double>::quiet_NaN(), "nan");
}

TEST_CASE("writer: verbatim strings", "[writer]") {
  check_both([](ReplyWriter& w) { w.verbatim("hello"); }, "$5\r\nhello\r\n", "=9\r\ntxt:hello\r\n");
  check_both([](ReplyWriter& w) { w.verbatim(""); }, "$0\r\n\r\n", "=4\r\ntxt:\r\n");
}

TEST_CASE("writer: replies append to the existing buffer", "[writer]") {
  std::string out = "+PONG\r\n";
  ReplyWriter writer(out, Protocol::kResp3);
  writer.integer(7);
  writer.null();
  CHECK(out == "+PONG\r\n:7\r\n_\r\n");
  CHECK(&writer.buffer() == &out);
  CHECK(writer.protocol() == Protocol::kResp3);
}
