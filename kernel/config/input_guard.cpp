// Scans configuration bytes for what toml++ 3.3.0 cannot be trusted with: invalid UTF-8,
// raw control characters, non-ASCII characters where toml++ tests for whitespace, and table
// headers that do not start with a key. It tracks just enough TOML lexing (comments, the
// four string kinds, keys versus values, array and inline-table nesting) to know where each
// is legal.
#include "kernel/config/input_guard.h"

#include <cstdio>
#include <vector>

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

// A TOML 1.0 bare key character, or a quote opening a quoted key.
bool is_key_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '"' || c == '\'';
}

bool is_value_terminator(unsigned char byte) {
  return byte == ' ' || byte == '\t' || byte == '\r' || byte == '\n' || byte == ',' ||
         byte == ']' || byte == '}' || byte == '#';
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
      std::optional<InputFault> fault_found;
      if (byte >= 0x80) {
        fault_found = step_non_ascii(byte);
      } else if (is_forbidden_control(byte)) {
        fault_found = fault("control character " + hex_byte(byte) +
                            " is not allowed (inside strings, write it as an escape)");
      } else {
        fault_found = step_ascii(byte);
      }
      if (fault_found) return fault_found;
    }
    return std::nullopt;
  }

 private:
  enum class Context { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  // Inside basic strings: just after '\' (kPending), or skipping the whitespace that follows
  // a line-ending backslash in a multi-line string (kLineEnding).
  enum class Escape { kNone, kPending, kLineEnding };
  // In kCode, what may come next. Only at kKey and kValue does a quote open a string; a
  // quote anywhere else is invalid TOML, and toml++ may scan past it as part of a bare
  // value (e.g. `1"é"`), so what follows is treated as code.
  enum class Expect {
    kKey,         // a key may start: line start, after '{' '.' ',' (inline table) or "[["
    kValue,       // a value may start: after '=', and after '[' ',' or a newline in an array
    kKeyToken,    // inside or after a key; '.' continues it, '=' ends it
    kValueToken,  // inside a bare value (number, boolean, date)
    kOther,       // after a complete value or header
  };

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

  std::optional<InputFault> step_ascii(unsigned char byte) {
    std::size_t consumed = 1;
    switch (context_) {
      case Context::kCode: {
        const CodeStep step = step_code(byte);
        if (step.fault != nullptr) return fault(step.fault);
        consumed = step.consumed;
        break;
      }
      case Context::kComment:
        if (byte == '\n') start_code_line();
        break;
      case Context::kBasic:
        if (escape_ == Escape::kPending) {
          escape_ = Escape::kNone;
          if (byte == '\n') start_code_line();  // unterminated; toml++ reports it
        } else if (byte == '\\') {
          escape_ = Escape::kPending;
        } else if (byte == '"') {
          close_string();
        } else if (byte == '\n') {
          start_code_line();
        }
        break;
      case Context::kLiteral:
        if (byte == '\'') close_string();
        if (byte == '\n') start_code_line();
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
    return std::nullopt;
  }

  // What one step through code consumed, or why the input must be refused.
  struct CodeStep {
    std::size_t consumed = 1;
    const char* fault = nullptr;
  };

  // One byte of code (outside strings and comments).
  CodeStep step_code(unsigned char byte) {
    // toml++ reads a bare value (number, boolean, date) up to whitespace or one of , ] } #,
    // so brackets, '=' and quotes inside it are part of it.
    if (expect_ == Expect::kValueToken && !is_value_terminator(byte)) return {};
    const bool at_line_start = at_line_start_;
    at_line_start_ = false;
    switch (byte) {
      case '\n':
        start_code_line();
        return {};
      case ' ':
      case '\t':
      case '\r':
        at_line_start_ = at_line_start;
        if (expect_ == Expect::kValueToken) {
          if (byte == ' ' && is_date_then_lone_digit()) {
            return {.fault = "a date followed by a space and a lone digit"};
          }
          expect_ = Expect::kOther;
        }
        return {};
      case '#':
        context_ = Context::kComment;
        return {};
      case '"':
      case '\'':
        if (expect_ == Expect::kKey || expect_ == Expect::kValue) {
          return {.consumed = open_string(static_cast<char>(byte))};
        }
        begin_value_token();
        return {};
      case '=':
        expect_ = Expect::kValue;
        return {};
      case '.':
        if (expect_ == Expect::kKeyToken) {
          expect_ = Expect::kKey;
        } else {
          begin_value_token();
        }
        return {};
      case '[':
        if (at_line_start && open_values_.empty()) {
          expect_ = Expect::kKey;
          return table_header_opening();
        }
        open_values_.push_back('[');
        expect_ = Expect::kValue;
        return {};
      case '{':
        open_values_.push_back('{');
        expect_ = Expect::kKey;
        return {};
      case '}':
        // toml++ 3.3.0 hands this '}' to its value parser, which asserts it is no terminator.
        if (expect_ == Expect::kValue && in_array()) {
          return {.fault = "'}' where an array value should be"};
        }
        [[fallthrough]];
      case ']':
        if (!open_values_.empty()) open_values_.pop_back();
        expect_ = Expect::kOther;
        return {};
      case ',':
        expect_ = in_array() ? Expect::kValue : Expect::kKey;
        return {};
      default:
        if (expect_ == Expect::kKey || expect_ == Expect::kKeyToken) {
          expect_ = Expect::kKeyToken;
        } else {
          begin_value_token();
        }
        return {};
    }
  }

  void begin_value_token() {
    expect_ = Expect::kValueToken;
    value_token_start_ = pos_;
  }

  // At the space ending a bare value: is it "YYYY-MM-DD" (underscores aside) and then one
  // digit and a terminator? toml++ 3.3.0 reads on after that digit for a time, asserting
  // that no terminator comes next. Never valid TOML (a time needs HH:MM:SS).
  bool is_date_then_lone_digit() const {
    std::string date;
    for (const char c : text_.substr(value_token_start_, pos_ - value_token_start_)) {
      if (c != '_') date += c;
    }
    const bool date_like =
        date.size() == 10 && date[0] >= '0' && date[0] <= '9' && date[4] == '-' && date[7] == '-';
    const auto byte_at = [&](std::size_t i) -> unsigned char {
      return i < text_.size() ? static_cast<unsigned char>(text_[i]) : 0;
    };
    const unsigned char digit = byte_at(pos_ + 1);
    return date_like && digit >= '0' && digit <= '9' && pos_ + 2 < text_.size() &&
           is_value_terminator(byte_at(pos_ + 2));
  }

  bool in_array() const { return !open_values_.empty() && open_values_.back() == '['; }

  // After a newline in code or the end of a comment.
  void start_code_line() {
    context_ = Context::kCode;
    at_line_start_ = true;
    expect_ = in_array() ? Expect::kValue : Expect::kKey;
  }

  // toml++ 3.3.0 calls its key parser right after "[" or "[[" (and blanks) without checking
  // that a key starts there, which asserts or, in release builds, is undefined behaviour.
  // Consumes the opening brackets.
  CodeStep table_header_opening() const {
    const std::size_t after_first = pos_ + 1;
    std::size_t next = skip_blanks(after_first);
    const bool double_bracket = next < text_.size() && text_[next] == '[';
    if (double_bracket) {
      if (next != after_first) return {};  // "[ [": toml++ reports it properly
      next = skip_blanks(next + 1);
    }
    if (next < text_.size() && text_[next] != ']' && !is_key_start(text_[next])) {
      return {.fault = "a table header must start with a key"};
    }
    return {.consumed = double_bracket ? 2u : 1u};
  }

  std::size_t skip_blanks(std::size_t pos) const {
    while (pos < text_.size() && (text_[pos] == ' ' || text_[pos] == '\t')) ++pos;
    return pos;
  }

  std::size_t open_string(char quote) {
    string_is_key_ = expect_ == Expect::kKey;
    const std::string_view triple = quote == '"' ? R"(""")" : "'''";
    const bool multi_line = text_.substr(pos_).starts_with(triple);
    if (quote == '"') {
      context_ = multi_line ? Context::kMultiBasic : Context::kBasic;
    } else {
      context_ = multi_line ? Context::kMultiLiteral : Context::kLiteral;
    }
    return multi_line ? 3 : 1;
  }

  void close_string() {
    context_ = Context::kCode;
    expect_ = string_is_key_ ? Expect::kKeyToken : Expect::kOther;
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
    if (run >= 3) close_string();
    return run;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  Context context_ = Context::kCode;
  Escape escape_ = Escape::kNone;
  Expect expect_ = Expect::kKey;
  bool string_is_key_ = false;
  std::size_t value_token_start_ = 0;  // where the current bare value began
  bool at_line_start_ = true;          // kCode: nothing but blanks since the last newline
  std::vector<char> open_values_;      // '[' and '{' of the arrays and inline tables still open
};

}  // namespace

std::optional<InputFault> find_unsafe_input(std::string_view text) {
  return InputScanner(text).run();
}

}  // namespace keepdb::config
