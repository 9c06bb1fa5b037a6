// Strict integer parsing with Redis's rules (string2ll): optional '-', no '+', no spaces,
// no leading zeros, at most 20 characters, within int64.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace keepdb::commands {

inline std::optional<std::int64_t> parse_int64(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  const std::string_view digits = text[0] == '-' ? text.substr(1) : text;
  if (digits.empty() || (digits[0] == '0' && (digits.size() > 1 || text[0] == '-'))) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

inline std::optional<std::uint64_t> parse_uint64(std::string_view text) {
  if (text.empty() || text.size() > 20 || text[0] == '-' || text[0] == '+') return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace keepdb::commands
