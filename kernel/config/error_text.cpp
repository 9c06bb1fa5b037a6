// One-line ConfigError texts: "SOURCE:LINE: KEY: message", control characters escaped.
#include "kernel/config/error_text.h"

#include <cstdio>
#include <string>

#include "kernel/config/config.h"

namespace keepdb::config {
namespace {

void append_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
}

std::string error_text(const ErrorSite& site, std::string_view message) {
  std::string out;
  append_escaped(out, site.source);
  if (site.line != 0) {
    out += ':';
    out += std::to_string(site.line);
  }
  out += ": ";
  if (!site.key.empty()) {
    append_escaped(out, site.key);
    out += ": ";
  }
  append_escaped(out, message);
  return out;
}

}  // namespace

void throw_config_error(const ErrorSite& site, std::string_view message) {
  throw ConfigError(error_text(site, message));
}

}  // namespace keepdb::config
