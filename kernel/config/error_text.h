// Builds and throws ConfigError: every error of the loader goes through here so that each
// `what()` is exactly one line, "SOURCE:LINE: KEY: message".
//
// Thread-safety: stateless; callable from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace keepdb::config {

// Where an error points. `line` 0 means "the whole file"; an empty `key` means "no key"
// (syntax and encoding errors). Both parts are then left out of the text.
struct ErrorSite {
  std::string_view source;
  std::uint32_t line = 0;
  std::string_view key = {};
};

// Throws a ConfigError for `site` and `message`. Control characters (from quoted TOML keys or
// file names) are escaped as \xNN so the text can never span lines.
[[noreturn]] void throw_config_error(const ErrorSite& site, std::string_view message);

}  // namespace keepdb::config
