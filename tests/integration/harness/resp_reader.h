// A minimal RESP2/RESP3 reply reader for raw-socket assertions: splits a byte stream into
// whole replies and decodes them into a tree. Strict about framing (CRLF, lengths) so a
// malformed reply from the server fails the test instead of being guessed at.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace keepdb::integration {

struct RespValue {
  // The RESP type byte: + - : $ * and RESP3's _ , # = % ~ > ( !
  char type = 0;
  bool null = false;                // $-1, *-1 or _
  std::string text;                 // simple/error/bulk/verbatim/double/big number text
  std::int64_t integer = 0;         // ':' and '#'(1/0)
  std::vector<RespValue> elements;  // aggregates; maps hold key, value, key, value...

  bool is_error() const { return type == '-' || type == '!'; }
  // A readable one-line rendering, for failure messages: ["OK", 1, nil, ...].
  std::string describe() const;
};

class RespFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Length in bytes of the first whole reply in `bytes`, or nullopt if it is incomplete.
// Throws RespFormatError if the bytes are not RESP.
std::optional<std::size_t> reply_length(std::string_view bytes);

// Decodes exactly one whole reply (as measured by reply_length).
RespValue decode_reply(std::string_view bytes);

// Encodes a command as a RESP multibulk request.
std::string encode_command(const std::vector<std::string>& args);

// Bytes made printable for failure messages: \r \n \xHH.
std::string escape_bytes(std::string_view bytes);

}  // namespace keepdb::integration
