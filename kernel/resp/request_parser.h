// Incremental RESP request parser: multibulk requests (`*N\r\n$len\r\narg\r\n...`) and
// inline commands (`SET k v\r\n`, with redis-style quoting), under hard size limits, and
// under Redis's far smaller limits while the client has not authenticated.
//
// Thread-safety: none; one parser per connection, used from that connection's thread.
// Lifetime: argument views returned by parse() point into the caller's input buffer
// (multibulk) or into storage owned by the parser (inline, whose quoting is unescaped).
// They are valid until the next parse() call or until the caller drops or moves the
// input bytes, whichever comes first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keepdb::resp {

struct RequestLimits {
  std::size_t max_bulk_bytes = 16u << 20;    // largest $len accepted
  std::size_t max_array_len = 1u << 20;      // largest *N accepted
  std::size_t max_inline_bytes = 64u << 10;  // longest inline line (without CRLF)
};

// Limits while the client is not authenticated, refused as the header is parsed, before
// any of the declared size is buffered. The first two are Redis's (networking.c); Redis has
// no inline counterpart, so KeepDB caps an inline line at the size of one bulk.
inline constexpr std::size_t kUnauthenticatedMaxArrayLen = 10;
inline constexpr std::size_t kUnauthenticatedMaxBulkBytes = 16384;
inline constexpr std::size_t kUnauthenticatedMaxInlineBytes = kUnauthenticatedMaxBulkBytes;

enum class ParseStatus {
  kIncomplete,  // need more bytes; progress so far is remembered
  kComplete,    // one request parsed into `args`; drop consumed() bytes afterwards
  kError,       // protocol error: reply error() and close the connection
};

class RequestParser {
 public:
  explicit RequestParser(const RequestLimits& limits);

  // Whether the client has authenticated (initially true). While it has not, a header or
  // inline line over the kUnauthenticated* limits is a protocol error. Applies to requests
  // started from then on: call it before parse() whenever the answer may have changed.
  void set_authenticated(bool authenticated) { authenticated_ = authenticated; }

  // Parses one request from `input`, which must start at the first byte of a request
  // not yet consumed. After every call the caller drops consumed() bytes from the front
  // of its buffer. After kIncomplete the caller calls again with the remaining bytes
  // plus more appended; the parser resumes where it stopped, so total work is O(bytes).
  // On kComplete, `args` holds the request's arguments and the parser is ready for the
  // next request. Empty requests (blank inline lines, `*0`, `*-1`) are skipped as Redis
  // does: their bytes are counted in consumed() and parsing goes on to what follows.
  ParseStatus parse(std::string_view input, std::vector<std::string_view>& args);

  // Bytes at the front of the last parse() input to drop: the request just completed
  // plus any empty requests skipped before it (on kIncomplete, only the skipped ones).
  std::size_t consumed() const { return consumed_; }

  // After kError: Redis-compatible message without the leading '-', e.g.
  // "ERR Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }

  // Lower bound of total bytes the current request needs, counted from its first byte
  // (after dropping consumed()), so a caller can tell a huge declared bulk from a
  // stalled client; 0 when nothing is pending.
  std::size_t bytes_needed() const { return bytes_needed_; }

  // Overwrites (OPENSSL_cleanse) the parser's own copy of the last request's arguments: an
  // inline request is unescaped into parser storage. Call after handling a request that
  // carried a secret (AUTH); the caller wipes the request's input bytes itself.
  void wipe_arguments();

 private:
  enum class Stage { kStart, kInline, kArrayHeader, kBulkHeader, kBulkPayload };

  ParseStatus parse_request(std::string_view request, std::vector<std::string_view>& args);
  ParseStatus parse_inline(std::string_view request, std::vector<std::string_view>& args);
  ParseStatus parse_multibulk(std::string_view request, std::vector<std::string_view>& args);
  ParseStatus read_header(std::string_view request, std::string_view too_big_error,
                          std::string_view invalid_error, long long& value);
  bool split_inline(std::string_view line);
  std::size_t find_from_scan(std::string_view request, std::size_t end, char wanted);
  void emit_args(const char* base, std::vector<std::string_view>& args) const;
  ParseStatus complete(std::size_t request_bytes);
  ParseStatus need_more(std::string_view request, std::size_t at_least);
  ParseStatus fail(std::string message);
  void reset_request();
  std::size_t inline_limit() const;

  RequestLimits limits_;
  bool authenticated_ = true;
  Stage stage_ = Stage::kStart;
  // Resumable state of the pending request; offsets count from its first byte.
  std::size_t pos_ = 0;        // start of the next multibulk header or bulk payload
  std::size_t scan_ = 0;       // where the search for the current line's terminator resumes
  std::size_t args_left_ = 0;  // bulk arguments of the multibulk request not yet parsed
  std::size_t bulk_len_ = 0;   // length of the bulk payload at pos_ (Stage::kBulkPayload)
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // (offset, length) per arg
  std::string inline_args_;  // unescaped inline arguments, back to back
  std::size_t consumed_ = 0;
  std::size_t bytes_needed_ = 0;
  std::string error_;
};

}  // namespace keepdb::resp
