// Escaping and truncation of outside bytes quoted in log lines and error replies.
#include "kernel/log/escape.h"

namespace keepdb::log {

void append_escaped(std::string& out, std::string_view bytes, Backslash backslash) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    const bool printable = byte >= 0x20 && byte < 0x7f;
    if (printable && !(c == '\\' && backslash == Backslash::kEscape)) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
}

std::string truncated(std::string_view bytes, std::size_t max_bytes) {
  if (bytes.size() <= max_bytes) return std::string(bytes);
  return std::string(bytes.substr(0, max_bytes))
      .append("...(")
      .append(std::to_string(bytes.size() - max_bytes))
      .append(" more bytes)");
}

}  // namespace keepdb::log
