// RequestParser: the resumable RESP request state machine (multibulk and inline), with
// Redis 7 error texts (networking.c) and inline splitting as Redis's sdssplitargs.
#include "kernel/resp/request_parser.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace keepdb::resp {
namespace {

constexpr std::size_t kNotFound = std::string_view::npos;
// Longest `*N` / `$len` line accepted without its CR, as Redis's PROTO_INLINE_MAX_SIZE.
constexpr std::size_t kMaxHeaderLineBytes = 64u << 10;
constexpr std::string_view kProtocolError = "ERR Protocol error: ";

// Parses a length the way Redis's string2ll does: optional '-', digits without leading
// zeros (except "0" itself), nothing else, and it must fit in a long long.
bool parse_length(std::string_view text, long long& value) {
  const bool negative = !text.empty() && text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || (digits.front() == '0' && (negative || digits.size() > 1))) {
    return false;
  }
  const char* const end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && stop == end;
}

std::string protocol_error(std::string_view detail) {
  return std::string(kProtocolError).append(detail);
}

// C-locale isspace(): what sdssplitargs skips between arguments.
bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_digit_value(char c) {
  if (c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}

// The byte a backslash escape inside "double quotes" stands for.
char unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

}  // namespace

RequestParser::RequestParser(const RequestLimits& limits) : limits_(limits) {}

ParseStatus RequestParser::parse(std::string_view input, std::vector<std::string_view>& args) {
  std::size_t skipped = 0;
  for (;;) {  // empty requests complete with no args: skip them and parse what follows
    const ParseStatus status = parse_request(input.substr(skipped), args);
    if (status == ParseStatus::kComplete && args.empty()) {
      skipped += consumed_;
      continue;
    }
    consumed_ = skipped + (status == ParseStatus::kComplete ? consumed_ : 0);
    return status;
  }
}

ParseStatus RequestParser::parse_request(std::string_view request,
                                         std::vector<std::string_view>& args) {
  if (stage_ == Stage::kStart) {
    if (request.empty()) {
      bytes_needed_ = 0;
      return ParseStatus::kIncomplete;
    }
    stage_ = request.front() == '*' ? Stage::kArrayHeader : Stage::kInline;
  }
  return stage_ == Stage::kInline ? parse_inline(request, args) : parse_multibulk(request, args);
}

ParseStatus RequestParser::parse_inline(std::string_view request,
                                        std::vector<std::string_view>& args) {
  // The newline may follow at most inline_limit() bytes of text and a CR; look no further.
  const std::size_t limit = inline_limit();
  const std::string_view too_big =
      limit < limits_.max_inline_bytes ? "unauthenticated inline length" : "too big inline request";
  const std::size_t longest_text = std::min(request.size(), limit);
  const std::size_t newline =
      find_from_scan(request, std::min(request.size(), longest_text + 2), '\n');
  if (newline == kNotFound) {
    const std::size_t text_so_far = request.size() - (request.back() == '\r' ? 1 : 0);
    if (text_so_far > limit) return fail(protocol_error(too_big));
    return need_more(request, 0);
  }
  const bool has_cr = newline > 0 && request[newline - 1] == '\r';
  const std::string_view line = request.substr(0, newline - (has_cr ? 1 : 0));
  if (line.size() > limit) return fail(protocol_error(too_big));
  if (!split_inline(line)) {
    return fail(protocol_error("unbalanced quotes in request"));
  }
  emit_args(inline_args_.data(), args);
  return complete(newline + 1);
}

ParseStatus RequestParser::parse_multibulk(std::string_view request,
                                           std::vector<std::string_view>& args) {
  for (;;) {
    if (stage_ == Stage::kArrayHeader) {
      long long count = 0;
      const ParseStatus header =
          read_header(request, "too big mbulk count string", "invalid multibulk length", count);
      if (header != ParseStatus::kComplete) return header;
      if (count <= 0) {  // an empty or negative count: an empty request, skipped as Redis does
        args.clear();
        return complete(pos_);
      }
      if (!authenticated_ && static_cast<unsigned long long>(count) > kUnauthenticatedMaxArrayLen) {
        return fail(protocol_error("unauthenticated multibulk length"));
      }
      if (static_cast<unsigned long long>(count) > limits_.max_array_len) {
        // Over KeepDB's limit: Redis's text for a count it refuses (over INT_MAX).
        return fail(protocol_error("invalid multibulk length"));
      }
      args_left_ = static_cast<std::size_t>(count);
      stage_ = Stage::kBulkHeader;
    } else if (stage_ == Stage::kBulkHeader) {
      if (pos_ == request.size()) return need_more(request, 0);
      if (request[pos_] != '$') {
        // Like Redis's addReplyErrorFormat, keep CR/LF out of the error line.
        const char got = request[pos_] == '\r' || request[pos_] == '\n' ? ' ' : request[pos_];
        return fail(protocol_error(std::string("expected '$', got '") + got + "'"));
      }
      long long length = 0;
      const ParseStatus header =
          read_header(request, "too big bulk count string", "invalid bulk length", length);
      if (header != ParseStatus::kComplete) return header;
      if (length < 0) return fail(protocol_error("invalid bulk length"));
      if (static_cast<unsigned long long>(length) > limits_.max_bulk_bytes) {
        // Redis's text for a length over proto-max-bulk-len.
        return fail(protocol_error("invalid bulk length"));
      }
      if (!authenticated_ && static_cast<unsigned long long>(length) > kUnauthenticatedMaxBulkBytes) {
        return fail(protocol_error("unauthenticated bulk length"));
      }
      bulk_len_ = static_cast<std::size_t>(length);
      stage_ = Stage::kBulkPayload;
    } else {  // Stage::kBulkPayload
      const std::size_t payload_end = pos_ + bulk_len_;
      if ((request.size() > payload_end && request[payload_end] != '\r') ||
          (request.size() > payload_end + 1 && request[payload_end + 1] != '\n')) {
        return fail(protocol_error("missing CRLF after bulk argument"));
      }
      if (request.size() < payload_end + 2) return need_more(request, payload_end + 2);
      spans_.emplace_back(pos_, bulk_len_);
      pos_ = scan_ = payload_end + 2;
      if (--args_left_ == 0) {
        emit_args(request.data(), args);
        return complete(pos_);
      }
      stage_ = Stage::kBulkHeader;
    }
  }
}

// Reads the number of the `*N` or `$len` line starting at pos_ and moves pos_ past it.
ParseStatus RequestParser::read_header(std::string_view request, std::string_view too_big_error,
                                       std::string_view invalid_error, long long& value) {
  const std::size_t window_end = std::min(request.size(), pos_ + kMaxHeaderLineBytes + 1);
  const std::size_t cr = find_from_scan(request, window_end, '\r');
  if (cr == kNotFound) {
    if (request.size() - pos_ > kMaxHeaderLineBytes) {
      return fail(protocol_error(too_big_error));
    }
    return need_more(request, 0);
  }
  if (cr + 1 == request.size()) return need_more(request, 0);
  if (request[cr + 1] != '\n' || !parse_length(request.substr(pos_ + 1, cr - pos_ - 1), value)) {
    return fail(protocol_error(invalid_error));
  }
  pos_ = scan_ = cr + 2;
  return ParseStatus::kComplete;
}

// Splits an inline line into inline_args_/spans_ exactly as Redis's sdssplitargs does
// (a NUL byte ends the line, as it ends sdssplitargs's C string). False on bad quoting.
bool RequestParser::split_inline(std::string_view line) {
  line = line.substr(0, line.find('\0'));
  const auto at = [line](std::size_t i) { return i < line.size() ? line[i] : '\0'; };
  inline_args_.clear();
  // Never longer than the line: reserved at once, so appending never reallocates and
  // leaves no copy of an argument (a secret, perhaps) in freed memory.
  inline_args_.reserve(line.size());
  spans_.clear();
  std::size_t i = 0;
  for (;;) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) return true;
    const std::size_t arg_start = inline_args_.size();
    enum class Quote { kNone, kDouble, kSingle } quote = Quote::kNone;
    for (bool done = false; !done; i += i < line.size() ? 1 : 0) {
      const char c = at(i);
      if (quote != Quote::kNone) {
        const bool in_double = quote == Quote::kDouble;
        if (c == '\0') return false;  // unterminated quotes
        if (c == (in_double ? '"' : '\'')) {
          // A closing quote must be followed by a space or the end of the line.
          if (at(i + 1) != '\0' && !is_space(at(i + 1))) return false;
          done = true;
        } else if (in_double && c == '\\' && at(i + 1) == 'x' && is_hex_digit(at(i + 2)) &&
                   is_hex_digit(at(i + 3))) {
          inline_args_ +=
              static_cast<char>(hex_digit_value(at(i + 2)) * 16 + hex_digit_value(at(i + 3)));
          i += 3;
        } else if (c == '\\' && (in_double ? at(i + 1) != '\0' : at(i + 1) == '\'')) {
          inline_args_ += unescape(line[++i]);  // 'single quotes' only escape \'
        } else {
          inline_args_ += c;
        }
      } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {
        done = true;
      } else if (c == '"') {
        quote = Quote::kDouble;
      } else if (c == '\'') {
        quote = Quote::kSingle;
      } else {
        inline_args_ += c;
      }
    }
    spans_.emplace_back(arg_start, inline_args_.size() - arg_start);
  }
}

// Finds `wanted` in request[scan_, end), remembering how far the search got so that
// bytes are examined once however the request is split across calls.
std::size_t RequestParser::find_from_scan(std::string_view request, std::size_t end, char wanted) {
  if (scan_ >= end) return kNotFound;
  const void* hit = std::memchr(request.data() + scan_, wanted, end - scan_);
  if (hit == nullptr) {
    scan_ = end;
    return kNotFound;
  }
  scan_ = static_cast<std::size_t>(static_cast<const char*>(hit) - request.data());
  return scan_;
}

void RequestParser::emit_args(const char* base, std::vector<std::string_view>& args) const {
  args.clear();
  for (const auto& [offset, length] : spans_) args.emplace_back(base + offset, length);
}

ParseStatus RequestParser::complete(std::size_t request_bytes) {
  consumed_ = request_bytes;
  bytes_needed_ = 0;
  reset_request();
  return ParseStatus::kComplete;
}

ParseStatus RequestParser::need_more(std::string_view request, std::size_t at_least) {
  bytes_needed_ = std::max(at_least, request.size() + 1);
  return ParseStatus::kIncomplete;
}

ParseStatus RequestParser::fail(std::string message) {
  error_ = std::move(message);
  bytes_needed_ = 0;
  reset_request();
  return ParseStatus::kError;
}

void RequestParser::wipe_arguments() {
  OPENSSL_cleanse(inline_args_.data(), inline_args_.size());
  inline_args_.clear();
}

std::size_t RequestParser::inline_limit() const {
  return authenticated_ ? limits_.max_inline_bytes
                        : std::min(limits_.max_inline_bytes, kUnauthenticatedMaxInlineBytes);
}

void RequestParser::reset_request() {
  stage_ = Stage::kStart;
  pos_ = 0;
  scan_ = 0;
  args_left_ = 0;
  bulk_len_ = 0;
  spans_.clear();
}

}  // namespace keepdb::resp
