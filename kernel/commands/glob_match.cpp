// Glob matcher for SCAN MATCH: the pattern compiler (following stringmatchlen()'s parse
// of each pattern byte) and the token matcher.
#include "kernel/commands/glob_match.h"

#include <utility>

namespace keepdb::commands {
namespace {

// Adds the bytes from `first` to `last` (either order) to `set`, comparing them as `char`
// like Redis's `int start = pattern[0]`.
void add_range(std::bitset<256>& set, char first, char last) {
  int lo = first;
  int hi = last;
  if (lo > hi) std::swap(lo, hi);
  for (int c = lo; c <= hi; ++c) set.set(static_cast<unsigned char>(c));
}

}  // namespace

GlobPattern::GlobPattern(std::string_view p) {
  const std::size_t n = p.size();
  std::size_t i = 0;
  while (i < n) {
    Token token;
    switch (p[i]) {
      case '*':
        ++i;
        has_star_ = true;
        if (!tokens_.empty() && tokens_.back().star) continue;  // "**" is one star
        token.star = true;
        break;
      case '?':
        ++i;
        token.bytes.set();
        break;
      case '[': {
        ++i;
        const bool negate = i < n && p[i] == '^';
        if (negate) ++i;
        while (true) {
          if (i < n && p[i] == '\\' && n - i >= 2) {  // "\x": x itself
            token.bytes.set(static_cast<unsigned char>(p[i + 1]));
            i += 2;
          } else if (i < n && p[i] == ']') {  // the end of the class
            ++i;
            break;
          } else if (i >= n) {  // unterminated: the class ran to the end of the pattern
            break;
          } else if (n - i >= 3 && p[i + 1] == '-') {  // "a-z", even when z is ']'
            add_range(token.bytes, p[i], p[i + 2]);
            i += 3;
          } else {
            token.bytes.set(static_cast<unsigned char>(p[i]));
            ++i;
          }
        }
        if (negate) token.bytes.flip();
        break;
      }
      case '\\':
        if (n - i >= 2) ++i;  // escapes the next byte; a trailing '\' is literal
        [[fallthrough]];
      default:
        token.bytes.set(static_cast<unsigned char>(p[i]));
        ++i;
        break;
    }
    if (!token.star) ++min_text_bytes_;
    tokens_.push_back(token);
  }
}

bool GlobPattern::matches(std::string_view text, std::uint64_t& steps) const {
  std::uint64_t taken = 1;
  const std::size_t n = text.size();
  const std::size_t count = tokens_.size();
  // Every non-star token takes one byte: a text of the wrong length cannot match. An empty
  // text matches only the empty pattern (Redis's "*" does not match "").
  if (n < min_text_bytes_ || (!has_star_ && n != min_text_bytes_) || n == 0) {
    steps += taken;
    return n == 0 && count == 0;
  }
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t p = 0, t = 0;
  std::size_t star_p = kNone, star_t = 0;  // the token after the last star, and its text start
  bool matched = false;
  while (true) {
    if (t == n) {
      // The text is used up: only a trailing star may remain (consecutive stars are one).
      matched = p == count || (p + 1 == count && tokens_[p].star);
      break;
    }
    ++taken;
    if (p < count) {
      const Token& token = tokens_[p];
      if (token.star) {
        if (p + 1 == count) {  // a trailing star takes the rest of the text
          matched = true;
          break;
        }
        star_p = ++p;
        star_t = t;
        continue;
      }
      if (token.bytes[static_cast<unsigned char>(text[t])]) {
        ++p;
        ++t;
        continue;
      }
    }
    if (star_p == kNone) break;
    // Backtrack: the last star takes one more byte. Earlier stars never need to take more,
    // since the tokens after the last star may then match anywhere further on as well.
    p = star_p;
    t = ++star_t;
  }
  steps += taken;
  return matched;
}

bool GlobPattern::matches(std::string_view text) const {
  std::uint64_t steps = 0;
  return matches(text, steps);
}

bool glob_match(std::string_view pattern, std::string_view text) {
  return GlobPattern(pattern).matches(text);
}

}  // namespace keepdb::commands
