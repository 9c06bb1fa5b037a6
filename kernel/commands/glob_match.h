// Binary-safe glob matching with Redis's pattern syntax: * ? [abc] [^abc] [a-z] and \x
// escapes, with the edge cases of Redis's stringmatchlen() (util.c): an unterminated '['
// runs to the end of the pattern, a trailing '\' is literal, reversed ranges are swapped,
// "c-]" inside a class is a range up to ']', and a range compares bytes as `char` (signed
// on x86-64), exactly as Redis compiled on the same platform does.
//
// A pattern is compiled once into tokens (a star, or a set of the bytes one text byte may
// be: a literal is a set of one, '?' the set of all, a class its 256-bit set), so testing a
// byte against a class costs O(1) however long the class was written. Matching backtracks
// to the last star only, so it takes at most (text bytes + 1) * (tokens + 1) steps; the
// caller can count the steps to bound the work of one request over many texts (SCAN).
//
// Thread-safety: a GlobPattern is immutable after construction; any thread may match.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace keepdb::commands {

class GlobPattern {
 public:
  // Compiles `pattern` (any length, any bytes); it takes O(pattern bytes) time.
  explicit GlobPattern(std::string_view pattern);

  // Whether `text` matches, as Redis's stringmatchlen() would say (an empty text matches
  // only the empty pattern). Adds the steps taken to `steps`: one per comparison of a
  // token with a text byte, at least one per call.
  bool matches(std::string_view text, std::uint64_t& steps) const;
  bool matches(std::string_view text) const;

  std::size_t tokens() const { return tokens_.size(); }
  // The most steps matches() can take for a text of `text_bytes` bytes.
  std::uint64_t max_steps(std::size_t text_bytes) const {
    return (static_cast<std::uint64_t>(text_bytes) + 1) * (tokens_.size() + 1);
  }

 private:
  struct Token {
    bool star = false;
    std::bitset<256> bytes;  // for a non-star token: the text bytes it matches
  };
  std::vector<Token> tokens_;       // consecutive stars are merged into one
  std::size_t min_text_bytes_ = 0;  // the number of non-star tokens
  bool has_star_ = false;
};

// Compiles `pattern` and matches `text` once.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace keepdb::commands
