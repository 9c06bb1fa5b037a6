// Tests for glob_match: Redis pattern syntax case by case, binary text and patterns, a
// differential check against a port of Redis's own stringmatchlen() on random inputs, and
// adversarial patterns finishing in linear-ish time.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <string>
#include <string_view>

#include "kernel/commands/glob_match.h"

using namespace std::string_literals;
using keepdb::commands::glob_match;

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
    if (text.empty()) continue;  // keys are never empty; Redis's "*" does not match ""
    CAPTURE(pattern, text);
    REQUIRE(glob_match(pattern, text) == redis_match(pattern, text));
  }
}

TEST_CASE("glob_match finishes fast on adversarial patterns", "[glob]") {
  const std::string text(10000, 'a');
  const auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", text));
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*[b]", text));
  CHECK_FALSE(glob_match("*?*?*?*?*?*?*?*?*b", text));
  CHECK(glob_match("*a*a*a*a*a*a*a*a*a", text));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(elapsed < std::chrono::milliseconds(500));
}
