// Byte-level checks on configuration text before toml++ sees it. toml++ 3.3.0 has
// undefined behaviour on some inputs (DESIGN docs/dependencies.md, trap 3): it reaches
// "unreachable" code for most non-ASCII characters in whitespace positions (e.g. bytes
// EF BB B7 04) and asserts on a raw control character where a key starts ("[\x1a").
// Valid TOML 1.0 never has either, so rejecting them first changes no valid file's meaning,
// with one documented exception: a non-ASCII character directly after a backslash escape.
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
// a control character other than tab/LF/CR, or a non-ASCII character outside strings and
// comments (or directly after a backslash escape). A leading UTF-8 BOM is allowed.
std::optional<InputFault> find_unsafe_input(std::string_view text);

}  // namespace keepdb::config
