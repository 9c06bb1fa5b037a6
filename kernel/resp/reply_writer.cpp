// ReplyWriter: RESP2/RESP3 reply encoding, byte-for-byte as Redis 7's addReply* family
// (networking.c), with std::to_chars for every number.
#include "kernel/resp/reply_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "kernel/log/escape.h"

namespace keepdb::resp {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// Appends `type`, the decimal `value` and CRLF: a whole integer reply or the header of
// an aggregate or bulk reply.
template <typename Integer>
void append_header(std::string& out, char type, Integer value) {
  char buf[1 + 20 + kCrlf.size()];  // type byte, up to 20 digits or sign+19, CRLF
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + sizeof(buf), value).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out.append(buf, static_cast<std::size_t>(end - buf));
}

bool is_line_break(char c) { return c == '\r' || c == '\n'; }

// Appends `type`, `text` and CRLF, turning CR/LF inside `text` into spaces (as Redis's
// addReplyErrorFormat does) so a status line can never break the framing.

void append_line(std::string& out, char type, std::string_view text) {
  out += type;
  const std::size_t text_start = out.size();
  out.append(text);
  std::replace_if(out.begin() + static_cast<std::ptrdiff_t>(text_start), out.end(), is_line_break,
                  ' ');
  out.append(kCrlf);
}

// Formats `value` as Redis's addReplyDouble does: "inf" / "-inf", otherwise "%.17g"
// (std::to_chars general format with precision 17 is specified to match it). NaN is
// written "nan" whatever its sign bit.
std::string_view format_double(double value, char (&buf)[32]) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (std::isnan(value)) return "nan";
  const char* end =
      std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general, 17).ptr;
  return {buf, static_cast<std::size_t>(end - buf)};
}

}  // namespace

void ReplyWriter::simple(std::string_view text) {
  append_line(out_, '+', text);
}

void ReplyWriter::error(std::string_view text) {
  // Errors may quote client bytes (an unknown command's name): CR/LF become spaces as in
  // Redis, and every other byte outside printable ASCII is escaped as \xNN.
  std::string spaced(text);
  std::replace_if(spaced.begin(), spaced.end(), is_line_break, ' ');
  out_ += '-';
  log::append_escaped(out_, spaced, log::Backslash::kKeep);
  out_.append(kCrlf);
}

void ReplyWriter::integer(std::int64_t value) {
  append_header(out_, ':', value);
}

void ReplyWriter::bulk(std::string_view bytes) {
  append_header(out_, '$', bytes.size());
  out_.append(bytes);
  out_.append(kCrlf);
}

void ReplyWriter::null() {
  out_.append(protocol_ == Protocol::kResp3 ? "_\r\n" : "$-1\r\n");
}

void ReplyWriter::null_array() {
  out_.append(protocol_ == Protocol::kResp3 ? "_\r\n" : "*-1\r\n");
}

void ReplyWriter::array(std::size_t n) {
  append_header(out_, '*', n);
}

void ReplyWriter::map(std::size_t n_pairs) {
  if (protocol_ == Protocol::kResp3) {
    append_header(out_, '%', n_pairs);
  } else {
    append_header(out_, '*', 2 * n_pairs);
  }
}

void ReplyWriter::set(std::size_t n) {
  append_header(out_, protocol_ == Protocol::kResp3 ? '~' : '*', n);
}

void ReplyWriter::boolean(bool value) {
  if (protocol_ == Protocol::kResp3) {
    out_.append(value ? "#t\r\n" : "#f\r\n");
  } else {
    integer(value ? 1 : 0);
  }
}

void ReplyWriter::dbl(double value) {
  char buf[32];
  const std::string_view text = format_double(value, buf);
  if (protocol_ == Protocol::kResp3) {
    out_ += ',';
    out_.append(text);
    out_.append(kCrlf);
  } else {
    bulk(text);
  }
}

void ReplyWriter::verbatim(std::string_view text) {
  if (protocol_ == Protocol::kResp3) {
    constexpr std::string_view kFormat = "txt:";
    append_header(out_, '=', kFormat.size() + text.size());
    out_.append(kFormat);
    out_.append(text);
    out_.append(kCrlf);
  } else {
    bulk(text);
  }
}

}  // namespace keepdb::resp
