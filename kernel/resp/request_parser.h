// Incremental RESP request parser: multibulk requests (`*N\r\n$len\r\narg\r\n...`) and
// inline commands (`SET k v\r\n`, with redis-style quoting), under hard size limits.
//
// Thread-safety: none; one parser per connection, used from that connection's thread.
// Lifetime: argument views returned by parse() point into the caller's input buffer and
// are valid until the caller drops or moves those bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace keepdb::resp {

struct RequestLimits {
  std::size_t max_bulk_bytes = 16u << 20;    // largest $len accepted
  std::size_t max_array_len = 1u << 20;      // largest *N accepted
  std::size_t max_inline_bytes = 64u << 10;  // longest inline line (without CRLF)
};

enum class ParseStatus {
  kIncomplete,  // need more bytes; progress so far is remembered
  kComplete,    // one request parsed into `args`; drop consumed() bytes afterwards
  kError,       // protocol error: reply error() and close the connection
};

class RequestParser {
 public:
  explicit RequestParser(const RequestLimits& limits);

  // Parses one request from `input`, which must start at the first byte of a request
  // not yet consumed. After kIncomplete the caller calls again with the same bytes
  // plus more appended; the parser resumes where it stopped, so total work is O(bytes).
  // On kComplete, `args` holds the request's arguments (views into `input`) and
  // consumed() the number of bytes to drop; the parser is ready for the next request.
  // Empty inline lines are skipped (consumed) and reported as kIncomplete.
  ParseStatus parse(std::string_view input, std::vector<std::string_view>& args);

  // Bytes of `input` that belong to the request just completed (or skipped blank lines).
  std::size_t consumed() const { return consumed_; }

  // After kError: Redis-compatible message without the leading '-', e.g.
  // "ERR Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }

  // Lower bound of total bytes the current request needs (so a caller can tell a huge
  // declared bulk from a stalled client); 0 when nothing is pending.
  std::size_t bytes_needed() const { return bytes_needed_; }

 private:
  ParseStatus fail(std::string message);
  ParseStatus parse_inline(std::string_view input, std::vector<std::string_view>& args);
  ParseStatus parse_multibulk(std::string_view input, std::vector<std::string_view>& args);
  void reset_request();

  RequestLimits limits_;
  // Resumable multibulk state: where the next unparsed element starts.
  std::size_t pos_ = 0;             // offset in input of the next element header
  long long expected_args_ = -1;    // -1 until the *N header is parsed
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // (offset, length) per arg
  std::size_t consumed_ = 0;
  std::size_t bytes_needed_ = 0;
  std::string error_;
};

}  // namespace keepdb::resp
