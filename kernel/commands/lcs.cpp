// The LCS table and the walk back through it (lcs.h).
#include "kernel/commands/lcs.h"

#include <algorithm>

namespace keepdb::commands {

std::uint64_t lcs_table_bytes(std::size_t a_size, std::size_t b_size) {
  return (static_cast<std::uint64_t>(a_size) + 1) * (b_size + 1) * sizeof(std::uint32_t);
}

Lcs longest_common_subsequence(std::string_view a, std::string_view b) {
  const std::size_t columns = b.size() + 1;
  // length[i * columns + j]: the LCS length of the first i bytes of a and j bytes of b.
  std::vector<std::uint32_t> length((a.size() + 1) * columns, 0);
  auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return length[i * columns + j]; };
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  Lcs result;
  result.common.resize(at(a.size(), b.size()));
  std::size_t filled = result.common.size();
  bool in_range = false;
  LcsRange range;
  for (std::size_t i = a.size(), j = b.size(); i > 0 && j > 0;) {
    if (a[i - 1] == b[j - 1]) {
      result.common[--filled] = a[i - 1];
      if (!in_range) {
        range.a_last = i - 1;
        range.b_last = j - 1;
        in_range = true;
      }
      range.a_first = --i;
      range.b_first = --j;
      if (i > 0 && j > 0) continue;
    } else if (at(i - 1, j) > at(i, j - 1)) {
      --i;
    } else {
      --j;
    }
    if (in_range) result.ranges.push_back(range);
    in_range = false;
  }
  return result;
}

}  // namespace keepdb::commands
