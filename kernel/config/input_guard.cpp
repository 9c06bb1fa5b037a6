// Scans configuration bytes for what toml++ 3.3.0 cannot be trusted with: invalid UTF-8,
// raw control characters, and non-ASCII characters where toml++ tests for whitespace.
// It tracks just enough TOML lexing (comments and the four string kinds) to know where
// non-ASCII text is legal.
#include "kernel/config/input_guard.h"

#include <cstdio>

namespace keepdb::config {
namespace {

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF) that starts at text[pos] with a non-ASCII byte, or 0 when it is malformed.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const auto byte_at = [&](std::size_t i) -> unsigned {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
  };
  const unsigned lead = byte_at(pos);
  std::size_t length = 0;
  unsigned second_min = 0x80, second_max = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) second_min = 0xa0;  // overlong
    if (lead == 0xed) second_max = 0x9f;  // UTF-16 surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) second_min = 0x90;  // overlong
    if (lead == 0xf4) second_max = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  const unsigned second = byte_at(pos + 1);
  if (second < second_min || second > second_max) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if ((byte_at(pos + i) & 0xc0) != 0x80) return 0;
  }
  return length;
}

bool is_forbidden_control(unsigned char byte) {
  return (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7f;
}

bool is_escape_whitespace(unsigned char byte) {
  return byte == ' ' || byte == '\t' || byte == '\r' || byte == '\n';
}

std::string hex_byte(unsigned char byte) {
  char text[5];
  std::snprintf(text, sizeof text, "0x%02X", byte);
  return text;
}

class InputScanner {
 public:
  explicit InputScanner(std::string_view text) : text_(text) {}

  std::optional<InputFault> run() {
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
    while (pos_ < text_.size()) {
      const auto byte = static_cast<unsigned char>(text_[pos_]);
      if (byte >= 0x80) {
        if (auto fault = step_non_ascii(byte)) return fault;
      } else if (is_forbidden_control(byte)) {
        return fault("control character " + hex_byte(byte) +
                     " is not allowed (inside strings, write it as an escape)");
      } else {
        step_ascii(byte);
      }
    }
    return std::nullopt;
  }

 private:
  enum class Context { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  // Inside basic strings: just after '\' (kPending), or skipping the whitespace that follows
  // a line-ending backslash in a multi-line string (kLineEnding).
  enum class Escape { kNone, kPending, kLineEnding };

  std::optional<InputFault> fault(std::string message) const {
    return InputFault{line_, std::move(message)};
  }

  std::optional<InputFault> step_non_ascii(unsigned char byte) {
    const std::size_t length = utf8_sequence_length(text_, pos_);
    if (length == 0) return fault("invalid UTF-8 (byte " + hex_byte(byte) + ")");
    if (context_ == Context::kCode) {
      return fault("non-ASCII character outside a string or comment");
    }
    if (escape_ != Escape::kNone) {
      return fault("non-ASCII character directly after a backslash escape is not supported");
    }
    pos_ += length;
    return std::nullopt;
  }

  void step_ascii(unsigned char byte) {
    std::size_t consumed = 1;
    switch (context_) {
      case Context::kCode:
        if (byte == '#') {
          context_ = Context::kComment;
        } else if (byte == '"' || byte == '\'') {
          consumed = open_string(static_cast<char>(byte));
        }
        break;
      case Context::kComment:
        if (byte == '\n') context_ = Context::kCode;
        break;
      case Context::kBasic:
        if (escape_ == Escape::kPending) {
          escape_ = Escape::kNone;
          if (byte == '\n') context_ = Context::kCode;  // unterminated; toml++ reports it
        } else if (byte == '\\') {
          escape_ = Escape::kPending;
        } else if (byte == '"' || byte == '\n') {
          context_ = Context::kCode;
        }
        break;
      case Context::kLiteral:
        if (byte == '\'' || byte == '\n') context_ = Context::kCode;
        break;
      case Context::kMultiBasic:
        consumed = step_multi_basic(byte);
        break;
      case Context::kMultiLiteral:
        consumed = close_multi_line_if(byte, '\'');
        break;
    }
    if (byte == '\n') ++line_;
    pos_ += consumed;
  }

  std::size_t open_string(char quote) {
    const std::string_view triple = quote == '"' ? R"(""")" : "'''";
    const bool multi_line = text_.substr(pos_).starts_with(triple);
    if (quote == '"') {
      context_ = multi_line ? Context::kMultiBasic : Context::kBasic;
    } else {
      context_ = multi_line ? Context::kMultiLiteral : Context::kLiteral;
    }
    return multi_line ? 3 : 1;
  }

  std::size_t step_multi_basic(unsigned char byte) {
    if (escape_ == Escape::kPending) {
      escape_ = is_escape_whitespace(byte) ? Escape::kLineEnding : Escape::kNone;
      return 1;
    }
    if (escape_ == Escape::kLineEnding) {
      if (is_escape_whitespace(byte)) return 1;
      escape_ = Escape::kNone;
    }
    if (byte == '\\') {
      escape_ = Escape::kPending;
      return 1;
    }
    return close_multi_line_if(byte, '"');
  }

  // A run of three to five quotes closes a multi-line string (up to two belong to the
  // content); shorter runs are content.
  std::size_t close_multi_line_if(unsigned char byte, char quote) {
    if (byte != static_cast<unsigned char>(quote)) return 1;
    std::size_t run = 0;
    while (pos_ + run < text_.size() && text_[pos_ + run] == quote) ++run;
    if (run >= 3) context_ = Context::kCode;
    return run;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  Context context_ = Context::kCode;
  Escape escape_ = Escape::kNone;
};

}  // namespace

std::optional<InputFault> find_unsafe_input(std::string_view text) {
  return InputScanner(text).run();
}

}  // namespace keepdb::config
