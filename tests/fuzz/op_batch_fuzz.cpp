// libFuzzer target: decoding write batches (the payload of every log entry a follower
// applies). Decoding must stay in bounds and stop at the first malformed op.
#include <cstdint>
#include <string_view>
#include <vector>

#include "kernel/commands/op_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  keepdb::commands::OpBatchReader reader(
      std::string_view(reinterpret_cast<const char*>(data), size));
  std::vector<std::string_view> args;
  std::size_t total = 0;
  while (reader.next(args)) {
    for (std::string_view arg : args) total += arg.size();
  }
  return total > size ? 1 : 0;  // views never reach past the input
}
