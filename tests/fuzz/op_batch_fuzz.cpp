// libFuzzer target: decoding write batches (the payload of every log entry a follower
// applies). Decoding must stay in bounds and stop at the first malformed op, and a valid
// version 4 batch (databases count, value limit, a database byte per op) must encode back
// to the same bytes through OpBatchBuilder. Older versions only decode (the seeds hold
// version 1, 3 and 4 batches).
#include <cstdint>
#include <string_view>
#include <vector>

#include "kernel/commands/op_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  keepdb::commands::OpBatchReader reader(input);
  keepdb::commands::OpBatchBuilder builder(reader.databases(),
                                           reader.max_value_bytes().value_or(1));
  std::vector<std::string_view> args;
  std::size_t total = 0;
  while (reader.next(args)) {
    for (std::string_view arg : args) total += arg.size();
    builder.add(args, reader.db());
  }
  if (!reader.malformed() && input.front() == 4 &&
      builder.take(reader.time_ms()) != input) {
    __builtin_trap();  // a valid batch that does not round-trip
  }
  return total > size ? 1 : 0;  // views never reach past the input
}
