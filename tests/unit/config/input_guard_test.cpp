// The byte screen in front of toml++: UTF-8, control characters, and non-ASCII placement,
// including the two inputs that break toml++ 3.3.0 itself.
#include "kernel/config/input_guard.h"

#include "tests/unit/config/config_test_support.h"

namespace keepdb::config {
namespace {

using testing::testdata;

void require_fault(std::string_view text, std::uint32_t line, std::string_view message_part) {
  const auto fault = find_unsafe_input(text);
  REQUIRE(fault.has_value());
  CHECK(fault->line == line);
  CHECK_THAT(fault->message, Catch::Contains(std::string(message_part)));
}

TEST_CASE("config: input guard accepts non-ASCII text inside strings and comments",
          "[config][guard]") {
  const std::string_view text =
      "# café, Ελληνικά, 中文, ﻷ\n"
      "a = \"é\"\n"
      "b = 'ﻷ'\n"
      "c = \"\"\"\n  multi \"\" é\n\"\"\"\n"
      "d = '''ﻷ ''\n'''\n"
      "\"quoted é key\" = 1 # trailing é\n"
      "e = \"\"\"x\\\n  y é\"\"\"\n";
  CHECK_FALSE(find_unsafe_input(text).has_value());
}

TEST_CASE("config: input guard accepts a leading byte-order mark", "[config][guard]") {
  CHECK_FALSE(find_unsafe_input("\xEF\xBB\xBFnode_id = 1\n").has_value());
}

TEST_CASE("config: input guard rejects invalid UTF-8 with its line", "[config][guard]") {
  require_fault("a = 1\nb = \"\xC0\x80\"\n", 2, "invalid UTF-8 (byte 0xC0)");  // overlong
  require_fault("a = \"\xED\xA0\x80\"\n", 1, "invalid UTF-8 (byte 0xED)");     // surrogate
  require_fault("\n\n# \xF5\x80\x80\x80\n", 3, "invalid UTF-8 (byte 0xF5)");   // > U+10FFFF
  require_fault("a = \"\xE2\x82\"\n", 1, "invalid UTF-8 (byte 0xE2)");         // truncated
  require_fault("a = 'x'\n# \x80\n", 2, "invalid UTF-8 (byte 0x80)");          // stray
}

TEST_CASE("config: input guard rejects control characters other than tab, LF and CR",
          "[config][guard]") {
  require_fault("a = \"\x01\"\n", 1, "control character 0x01");
  require_fault("a = 1\n# \x7F\n", 2, "control character 0x7F");
  require_fault("a = \"\\\x1b\"\n", 1, "control character 0x1B");  // even right after '\'
  CHECK_FALSE(find_unsafe_input("a\t= 1\r\nb = 2\n").has_value());
}

TEST_CASE("config: input guard rejects non-ASCII characters where toml++ expects whitespace",
          "[config][guard]") {
  require_fault("a = 1 é\n", 1, "non-ASCII character outside a string or comment");
  require_fault("a = \"x\"\né = 1\n", 2, "outside a string or comment");
  require_fault("a = 'x' é\n", 1, "outside a string or comment");
  require_fault("a = \"\"\"x\"\"\"é\n", 1, "outside a string or comment");
  require_fault("a = \"\"\"x\\\n   é\"\"\"\n", 2, "directly after a backslash escape");
  require_fault("a = \"\\é\"\n", 1, "directly after a backslash escape");
}

TEST_CASE("config: input guard follows string and comment boundaries", "[config][guard]") {
  // '#' and quotes inside strings, and quotes inside comments, change nothing.
  CHECK_FALSE(find_unsafe_input("a = \"# \\\" é\"\nb = '#' # \" é\n").has_value());
  // Up to two extra quotes before a multi-line closing delimiter belong to the string.
  require_fault("a = \"\"\"x\"\"\"\"\" é\n", 1, "outside a string or comment");
  // A newline ends an (unterminated) single-line string.
  require_fault("a = \"x\né = 1\n", 2, "outside a string or comment");
}

TEST_CASE("config: input guard tells keys and values from bare tokens", "[config][guard]") {
  const std::string_view valid =
      "[a.\"é\"]\n"
      "[[ \"é\" . 'ï' ]]\n"
      "x.\"é\" . 'ü' = { \"é\" = 1, 'ï' = [\"é\"] }\n"
      "y = [\n"
      "  [1, \"é\"], # é\n"
      "  'ï'\n"
      "  , \"\"\"é\"\"\",\n"
      "]\n"
      "z = 1979-05-27 07:32:00 # é\n";
  CHECK_FALSE(find_unsafe_input(valid).has_value());
  // toml++ scans a bare value up to whitespace or , ] } #, quotes included.
  require_fault("a = 1\"é\"\n", 1, "outside a string or comment");
  require_fault("a = 1.\"é\"\n", 1, "outside a string or comment");
  require_fault("a = true'é'\n", 1, "outside a string or comment");
  require_fault("a = [1\"é\"]\n", 1, "outside a string or comment");
  require_fault("a = [7z[e[=\"é\"]\n", 1, "outside a string or comment");
  require_fault("a = 1{b=\"é\"}\n", 1, "outside a string or comment");
  // toml++ asserts after "date, space, one digit" when a terminator follows.
  require_fault("q = 2622-06-03 9]\n", 1, "a date followed by a space and a lone digit");
  require_fault("q = [2_622-06-03 1,]\n", 1, "a date followed by a space and a lone digit");
  CHECK_FALSE(find_unsafe_input("q = 2622-06-03 09:10:11\nr = 2622-06-03 # 9\n").has_value());
}

TEST_CASE("config: input guard rejects table headers that do not start with a key",
          "[config][guard]") {
  for (const std::string_view header : {"[#", "[=", "[[#]]", "[ .a]", "[\n", "[[\t{"}) {
    INFO("header " << header);
    require_fault("a = 1\n" + std::string(header) + "\n", 2,
                  "a table header must start with a key");
  }
  // toml++ reports these itself.
  for (const std::string_view header : {"[a]", "[ 'a' ]", "[[\"a\"]]", "[]", "[ [a]]", "["}) {
    INFO("header " << header);
    CHECK_FALSE(find_unsafe_input(header).has_value());
  }
}

TEST_CASE("config: input guard rejects '}' where an array value should start", "[config][guard]") {
  require_fault("e= [}", 1, "'}' where an array value should be");
  require_fault("a = [1,\n # c\n }", 3, "'}' where an array value should be");
  CHECK_FALSE(find_unsafe_input("a = [{}, { b = [] }]\nc = { d = [1] }\n").has_value());
}

TEST_CASE("config: toml++ 3.3.0 crash reproducers are ConfigErrors, not crashes",
          "[config][guard]") {
  SECTION("EF BB B7 04: UBSan unreachable in unicode_autogenerated.h") {
    CHECK_THROWS_WITH(load_file(testdata("toml-crash-ubsan-unreachable.toml")),
                      Catch::EndsWith("toml-crash-ubsan-unreachable.toml:1: non-ASCII character "
                                      "outside a string or comment"));
  }
  SECTION("\"[\\x1a\": assertion in parse_key") {
    CHECK_THROWS_WITH(
        load_file(testdata("toml-crash-assert-key.toml")),
        Catch::EndsWith("toml-crash-assert-key.toml:1: a table header must start with a key"));
  }
  SECTION("\"[#\": the same assertion, found by fuzzing") {
    CHECK_THROWS_WITH(load_string("[#", "t.toml"),
                      "t.toml:1: a table header must start with a key");
  }
}

}  // namespace
}  // namespace keepdb::config
