// libFuzzer target: the RESP request parser. Besides crashes and sanitizer reports, it
// checks that parsing is split-invariant: the input parsed whole and parsed in two pieces
// (split where the first byte says) must yield the same requests or the same error.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/resp/request_parser.h"

namespace {

using keepdb::resp::ParseStatus;
using keepdb::resp::RequestParser;

struct Outcome {
  std::vector<std::vector<std::string>> requests;
  std::string error;
};

// Feeds `input` as the connection does: bytes arrive in chunks ending at `cuts`, and every
// complete request is consumed before more bytes arrive.
Outcome parse_in_pieces(std::string_view input, const std::vector<std::size_t>& cuts) {
  const keepdb::resp::RequestLimits limits{.max_bulk_bytes = 4096, .max_array_len = 64,
                                           .max_inline_bytes = 1024};
  RequestParser parser(limits);
  Outcome outcome;
  std::string buffer;
  std::vector<std::string_view> args;
  std::size_t fed = 0;
  for (std::size_t cut : cuts) {
    buffer.append(input.substr(fed, cut - fed));
    fed = cut;
    for (;;) {
      const ParseStatus status = parser.parse(buffer, args);
      if (status == ParseStatus::kError) {
        outcome.error = parser.error();
        return outcome;
      }
      const std::size_t consumed = parser.consumed();
      if (status == ParseStatus::kComplete) {
        outcome.requests.emplace_back(args.begin(), args.end());
      }
      buffer.erase(0, consumed);
      if (status == ParseStatus::kIncomplete) break;
    }
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = input.empty() ? 0 : data[0] % (input.size() + 1);
  const Outcome whole = parse_in_pieces(input, {input.size()});
  const Outcome pieces = parse_in_pieces(input, {split, input.size()});
  if (whole.requests != pieces.requests || whole.error != pieces.error) std::abort();
  return 0;
}
