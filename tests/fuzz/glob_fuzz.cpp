// libFuzzer target: compiling a SCAN MATCH pattern and matching a key. The first input byte
// says where the pattern ends and the key begins. Compiling must stay in bounds for any
// bytes (unterminated classes, trailing escapes), and a match must never take more steps
// than GlobPattern::max_steps() promises, which is what bounds a SCAN call.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kernel/commands/glob_match.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t split = data[0] % (rest.size() + 1);
  const keepdb::commands::GlobPattern pattern(rest.substr(0, split));
  const std::string_view key = rest.substr(split);
  std::uint64_t steps = 0;
  pattern.matches(key, steps);
  if (steps > pattern.max_steps(key.size())) std::abort();
  return 0;
}
