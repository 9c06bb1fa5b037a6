// Byte-level checks on configuration text before toml++ sees it. toml++ 3.3.0 has
// undefined behaviour on some inputs (docs dependencies.md, trap 3): it reaches
// "unreachable" code for most non-ASCII characters in whitespace positions (e.g. bytes
// EF BB B7 04), and it parses a key right after a table header's "[" without checking that
// one starts there ("[\x1a", "[#", "[=" assert, or are undefined behaviour in release builds).
// Valid TOML 1.0 never has any of these, so rejecting them first changes no valid file's
// meaning, with one documented exception: a non-ASCII character directly after a backslash
// escape (or the blanks after a line-ending backslash) in a string.
//
// Thread-safety: stateless; callable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keepdb::config {

struct InputFault {
  std::uint32_t line = 0;  // 1-based
  std::string message;
};

// The first reason `text` must not reach toml++, or nullopt when it is safe: invalid UTF-8,
// a control character other than tab/LF/CR, a non-ASCII character outside strings and
// comments (or directly after a backslash escape), or a table header whose "[" / "[[" is not
// followed by a key. A leading UTF-8 BOM is allowed.
std::optional<InputFault> find_unsafe_input(std::string_view text);

}  // namespace keepdb::config
