// Tests for glob_match and GlobPattern: Redis pattern syntax case by case, binary text and
// patterns, a differential check against a port of Redis's own stringmatchlen() on random
// inputs, and adversarial patterns finishing within a bound counted in matcher steps (not
// wall time): at most (text bytes + 1) * (tokens + 1), and linear in the text for a class
// however long it is written.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/glob_match.h"

using namespace std::string_literals;
using keepdb::commands::glob_match;
using keepdb::commands::GlobPattern;

namespace {

// Redis 7's stringmatchlen_impl() (util.c), case-sensitive, kept close to the original so
// it can serve as the reference. Recursive and exponential in the worst case: only for
// short inputs.
bool redis_stringmatch(const char* pattern, int pattern_len, const char* string, int string_len) {
  while (pattern_len && string_len) {
    switch (pattern[0]) {
      case '*':
        while (pattern_len && pattern[1] == '*') {
          pattern++;
          pattern_len--;
        }
        if (pattern_len == 1) return true;
        while (string_len) {
          if (redis_stringmatch(pattern + 1, pattern_len - 1, string, string_len)) return true;
          string++;
          string_len--;
        }
        return false;
      case '?':
        string++;
        string_len--;
        break;
      case '[': {
        pattern++;
        pattern_len--;
        const bool negate = pattern[0] == '^';
        if (negate) {
          pattern++;
          pattern_len--;
        }
        bool match = false;
        while (true) {
          if (pattern[0] == '\\' && pattern_len >= 2) {
            pattern++;
            pattern_len--;
            if (pattern[0] == string[0]) match = true;
          } else if (pattern[0] == ']') {
            break;
          } else if (pattern_len == 0) {
            pattern--;
            pattern_len++;
            break;
          } else if (pattern_len >= 3 && pattern[1] == '-') {
            int start = pattern[0];
            int end = pattern[2];
            const int c = string[0];
            if (start > end) std::swap(start, end);
            pattern += 2;
            pattern_len -= 2;
            if (c >= start && c <= end) match = true;
          } else if (pattern[0] == string[0]) {
            match = true;
          }
          pattern++;
          pattern_len--;
        }
        if (negate) match = !match;
        if (!match) return false;
        string++;
        string_len--;
        break;
      }
      case '\\':
        if (pattern_len >= 2) {
          pattern++;
          pattern_len--;
        }
        [[fallthrough]];
      default:
        if (pattern[0] != string[0]) return false;
        string++;
        string_len--;
        break;
    }
    pattern++;
    pattern_len--;
    if (string_len == 0) {
      while (pattern_len && *pattern == '*') {
        pattern++;
        pattern_len--;
      }
      break;
    }
  }
  return pattern_len == 0 && string_len == 0;
}

bool redis_match(std::string_view pattern, std::string_view text) {
  // The original reads pattern[1] one past the end after a trailing '*' (a NUL in Redis's
  // sds strings); a std::string gives the same guarantee.
  const std::string p(pattern);
  return redis_stringmatch(p.c_str(), static_cast<int>(p.size()), text.data(),
                           static_cast<int>(text.size()));
}

}  // namespace

TEST_CASE("glob_match: Redis pattern syntax", "[glob]") {
  const auto [pattern, text, expected] = GENERATE(table<std::string, std::string, bool>({
      {"*", "anything", true},
      {"h?llo", "hello", true},
      {"h?llo", "hllo", false},
      {"h*llo", "hllo", true},
      {"h*llo", "heeeello", true},
      {"h*llo", "hello!", false},
      {"h[ae]llo", "hallo", true},
      {"h[ae]llo", "hillo", false},
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false},
      {"h[a-b]llo", "hbllo", true},
      {"h[a-b]llo", "hcllo", false},
      {"h[b-a]llo", "hallo", true},  // reversed ranges are swapped
      {"[abc-]", "-", false},        // "c-]" is a range up to ']', and the class is unclosed
      {"[-a]", "-", true},
      {"[]]", "]", false},  // an empty class, then a literal ']'
      {"[]]", "]]", false},
      {"[\\]]", "]", true},
      {"[\\-]", "-", true},
      {"h\\*llo", "h*llo", true},
      {"h\\*llo", "hello", false},
      {"\\?", "?", true},
      {"\\?", "x", false},
      {"a\\", "a\\", true},  // a trailing backslash is literal
      {"[abc", "b", true},   // an unclosed class runs to the end of the pattern
      {"[abc", "bc", false},
      {"**a***", "xxaxx", true},
      {"a*", "a", true},
      {"*a", "a", true},
      {"?", "", false},
      {"", "", true},
      {"", "a", false},
      {"user:*:name", "user:42:name", true},
      {"user:*:name", "user:42:nam", false},
  }));
  CAPTURE(pattern, text);
  CHECK(glob_match(pattern, text) == expected);
}

TEST_CASE("glob_match: binary text and patterns with NUL and high bytes", "[glob]") {
  CHECK(glob_match("a\0*"s, "a\0bc"s));
  CHECK_FALSE(glob_match("a\0*"s, "a\1bc"s));
  CHECK(glob_match("a?c"s, "a\0c"s));
  CHECK(glob_match("[\0]"s, "\0"s));
  CHECK(glob_match("*\xff"s, "abc\xff"s));
  CHECK(glob_match("[\x80-\xff]"s, "\x90"s));
  CHECK_FALSE(glob_match("abc"s, "abc\0"s));
}

TEST_CASE("glob_match agrees with Redis's stringmatchlen on random inputs", "[glob]") {
  std::mt19937 random(20240601);
  // A small alphabet so that matches are common; '\0' and 0xff for binary safety.
  const std::string pattern_alphabet = "ab*?[]^-\\\0\xff"s;
  const std::string text_alphabet = "ab-]\\^\0\xff"s;
  auto draw = [&](const std::string& alphabet, std::size_t max_length) {
    std::string out(random() % (max_length + 1), ' ');
    for (char& c : out) c = alphabet[random() % alphabet.size()];
    return out;
  };
  for (int i = 0; i < 100000; ++i) {
    const std::string pattern = draw(pattern_alphabet, 8);
    const std::string text = draw(text_alphabet, 8);
    CAPTURE(pattern, text);
    const GlobPattern compiled(pattern);
    std::uint64_t steps = 0;
    REQUIRE(compiled.matches(text, steps) == redis_match(pattern, text));
    REQUIRE(steps <= compiled.max_steps(text.size()));
  }
}

TEST_CASE("glob_match agrees with stringmatchlen on longer inputs with classes", "[glob]") {
  // Fewer stars (the reference is exponential in them), more classes, ranges and escapes,
  // and bytes on both sides of 0x80 so ranges across the sign of `char` come up.
  std::mt19937 random(77);
  const std::string pattern_alphabet = "abc[]]^--\\?*\x7f\x80\xfe"s;
  const std::string text_alphabet = "abc]-^\\\x7f\x80\xfe"s;
  auto draw = [&](const std::string& alphabet, std::size_t min_length, std::size_t max_length) {
    std::string out(min_length + random() % (max_length - min_length + 1), ' ');
    for (char& c : out) c = alphabet[random() % alphabet.size()];
    return out;
  };
  for (int i = 0; i < 50000; ++i) {
    const std::string pattern = draw(pattern_alphabet, 4, 16);
    const std::string text = draw(text_alphabet, 1, 16);
    CAPTURE(pattern, text);
    REQUIRE(glob_match(pattern, text) == redis_match(pattern, text));
  }
}

TEST_CASE("GlobPattern: an empty text matches only the empty pattern, as in Redis", "[glob]") {
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("*", ""));
  CHECK_FALSE(glob_match("**", ""));
  CHECK_FALSE(glob_match("[^a]", ""));
  CHECK(redis_match("", ""));
  CHECK_FALSE(redis_match("*", ""));
}

TEST_CASE("GlobPattern compiles classes, escapes and stars into tokens", "[glob]") {
  CHECK(GlobPattern("").tokens() == 0);
  CHECK(GlobPattern("abc").tokens() == 3);
  CHECK(GlobPattern("a***b").tokens() == 3);      // consecutive stars are one
  CHECK(GlobPattern("[a-z0-9_]").tokens() == 1);  // a class is one token
  CHECK(GlobPattern("\\*\\?").tokens() == 2);     // escaped bytes are literals
  CHECK(GlobPattern("[abc").tokens() == 1);       // unterminated: the class runs to the end
  CHECK(GlobPattern("a\\").tokens() == 2);        // a trailing backslash is a literal
  const std::string long_class = "[" + std::string(1 << 20, 'x') + "]";
  CHECK(GlobPattern("*" + long_class + "*").tokens() == 3);
}

TEST_CASE("GlobPattern: a class written over 1 MB costs O(1) per text byte", "[glob]") {
  // The finding: "*[" + 8 MB + "]" rescanned the class at every step of every key.
  std::string body(1 << 20, 'x');
  for (std::size_t i = 0; i < body.size(); i += 7) body[i] = static_cast<char>('c' + i % 20);
  const GlobPattern pattern("*[" + body + "]");
  REQUIRE(pattern.tokens() == 2);
  const std::string text(511, 'a');  // the longest key; no byte of it is in the class
  std::uint64_t steps = 0;
  CHECK_FALSE(pattern.matches(text, steps));
  CHECK(steps <= 2 * (text.size() + 1));
  steps = 0;
  CHECK(pattern.matches(std::string(510, 'a') + "x", steps));
  CHECK(steps <= 2 * (text.size() + 1));
  // The same with a negated class and with a long list of ranges.
  std::string ranges;
  for (int i = 0; i < 100000; ++i) ranges += "b-c";
  const GlobPattern negated("*[^" + ranges + "]?");
  steps = 0;
  CHECK_FALSE(negated.matches(std::string(511, 'b'), steps));
  CHECK(steps <= 3 * (511 + 1));
}

TEST_CASE("GlobPattern: adversarial star patterns stay within the step bound", "[glob]") {
  const std::string text(10000, 'a');
  const std::vector<std::string> patterns = {
      "*a*a*a*a*a*a*a*a*b",
      "*a*a*a*a*a*a*a*a*[b]",
      "*?*?*?*?*?*?*?*?*b",
      "*a*a*a*a*a*a*a*a*a",
      "*" + std::string(100, 'a') + "b",  // near-matches at every offset
      "*" + std::string(100, '?') + "b*",
  };
  for (const auto& source : patterns) {
    CAPTURE(source);
    const GlobPattern pattern(source);
    std::uint64_t steps = 0;
    const bool matched = pattern.matches(text, steps);
    CHECK(matched == (source == "*a*a*a*a*a*a*a*a*a"));
    CHECK(steps <= pattern.max_steps(text.size()));
  }
  // Stars separated by single bytes cost O(text) with backtracking to the last star only,
  // where Redis's recursion would try every split.
  std::string many_stars;
  for (int i = 0; i < 500; ++i) many_stars += "*a";
  many_stars += "*b";
  std::uint64_t steps = 0;
  CHECK_FALSE(GlobPattern(many_stars).matches(text, steps));
  CHECK(steps <= 3 * (text.size() + 1));
}

TEST_CASE("GlobPattern: the worst pattern of 1024 bytes over the longest key is bounded",
          "[glob]") {
  // "*" + k bytes + "b" against 511 'a's near-matches at every offset: about k * (511 - k)
  // steps, largest near k = 255; and every pattern stays under max_steps().
  const std::string key(511, 'a');
  std::uint64_t worst = 0;
  for (std::size_t k = 1; k <= 1022; k += 11) {
    const GlobPattern pattern("*" + std::string(k, 'a') + "b");
    std::uint64_t steps = 0;
    CHECK_FALSE(pattern.matches(key, steps));
    CHECK(steps <= pattern.max_steps(key.size()));
    worst = std::max(worst, steps);
  }
  CHECK(worst <= 512u * 1025u);
  CHECK(worst >= 60000u);  // the quadratic case really is exercised
}
