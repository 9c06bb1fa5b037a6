// The longest common subsequence of two values, as the LCS command computes it: the classic
// dynamic-programming table of common lengths, walked back from the ends of both values
// (a match steps back in both; otherwise the step goes towards the longer subsequence,
// back in `b` on a tie). Along that walk, each run of consecutive matches is one match
// range of LCS ... IDX, listed from the end of the values towards their start.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keepdb::commands {

struct LcsRange {
  std::uint64_t a_first = 0, a_last = 0;  // byte offsets in `a`, both inclusive
  std::uint64_t b_first = 0, b_last = 0;  // the same bytes in `b`

  std::uint64_t length() const { return a_last - a_first + 1; }
};

struct Lcs {
  std::string common;            // the subsequence itself
  std::vector<LcsRange> ranges;  // its runs of consecutive bytes, last first
};

// The size in bytes of the table computing the LCS of values of these sizes takes.
std::uint64_t lcs_table_bytes(std::size_t a_size, std::size_t b_size);

Lcs longest_common_subsequence(std::string_view a, std::string_view b);

}  // namespace keepdb::commands
