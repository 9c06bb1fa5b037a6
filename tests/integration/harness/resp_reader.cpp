// RESP reply framing and decoding for tests.
#include "tests/integration/harness/resp_reader.h"

#include <charconv>

namespace keepdb::integration {

namespace {

// Parses a reply starting at `pos`; returns false if incomplete. Advances `pos` past it.
class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : bytes_(bytes) {}

  bool parse(std::size_t& pos, RespValue* out) {
    std::string_view line;
    if (!read_line(pos, line)) return false;
    if (line.empty()) throw RespFormatError("empty reply line");
    const char type = line[0];
    const std::string_view body = line.substr(1);
    RespValue value;
    value.type = type;
    switch (type) {
      case '+':
      case '-':
      case ',':
      case '(':
        value.text = body;
        break;
      case ':':
        value.integer = to_integer(body);
        break;
      case '#':
        if (body != "t" && body != "f") throw RespFormatError("bad boolean");
        value.integer = body == "t";
        break;
      case '_':
        if (!body.empty()) throw RespFormatError("bad null");
        value.null = true;
        break;
      case '$':
      case '=':
      case '!': {
        const std::int64_t length = to_integer(body);
        if (length == -1 && type == '$') {
          value.null = true;
          break;
        }
        if (length < 0) throw RespFormatError("bad blob length");
        const auto size = static_cast<std::size_t>(length);
        if (bytes_.size() < pos + size + 2) return false;
        if (bytes_.substr(pos + size, 2) != "\r\n") throw RespFormatError("blob without CRLF");
        value.text = bytes_.substr(pos, size);
        pos += size + 2;
        break;
      }
      case '*':
      case '%':
      case '~':
      case '>': {
        const std::int64_t count = to_integer(body);
        if (count == -1 && type == '*') {
          value.null = true;
          break;
        }
        if (count < 0) throw RespFormatError("bad aggregate length");
        const auto elements = static_cast<std::size_t>(count) * (type == '%' ? 2 : 1);
        for (std::size_t i = 0; i < elements; ++i) {
          RespValue element;
          if (!parse(pos, out ? &element : nullptr)) return false;
          if (out) value.elements.push_back(std::move(element));
        }
        break;
      }
      default:
        throw RespFormatError(std::string("unknown reply type byte '") + type + "'");
    }
    if (out) *out = std::move(value);
    return true;
  }

 private:
  bool read_line(std::size_t& pos, std::string_view& line) {
    const std::size_t cr = bytes_.find("\r\n", pos);
    if (cr == std::string_view::npos) return false;
    line = bytes_.substr(pos, cr - pos);
    pos = cr + 2;
    return true;
  }

  static std::int64_t to_integer(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      throw RespFormatError("bad number '" + std::string(text) + "'");
    }
    return value;
  }

  std::string_view bytes_;
};

void describe_into(const RespValue& value, std::string& out) {
  if (value.null) {
    out += "nil";
    return;
  }
  switch (value.type) {
    case ':':
    case '#':
      out += std::to_string(value.integer);
      return;
    case '-':
    case '!':
      out += "(error) " + value.text;
      return;
    case '*':
    case '%':
    case '~':
    case '>': {
      out += value.type == '%' ? "{" : "[";
      for (std::size_t i = 0; i < value.elements.size(); ++i) {
        if (i > 0) out += ", ";
        describe_into(value.elements[i], out);
      }
      out += value.type == '%' ? "}" : "]";
      return;
    }
    default:
      out += "\"" + value.text + "\"";
  }
}

}  // namespace

std::string RespValue::describe() const {
  std::string out;
  describe_into(*this, out);
  return out;
}

std::optional<std::size_t> reply_length(std::string_view bytes) {
  std::size_t pos = 0;
  if (!Decoder(bytes).parse(pos, nullptr)) return std::nullopt;
  return pos;
}

RespValue decode_reply(std::string_view bytes) {
  std::size_t pos = 0;
  RespValue value;
  if (!Decoder(bytes).parse(pos, &value)) throw RespFormatError("incomplete reply");
  return value;
}

std::string encode_command(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& arg : args) {
    out += "$" + std::to_string(arg.size()) + "\r\n";
    out += arg;
    out += "\r\n";
  }
  return out;
}

std::string escape_bytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += std::string("\\x") + kHex[byte >> 4] + kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace keepdb::integration
