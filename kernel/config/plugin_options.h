// Flattens a plugin's free-form `[plugin.options]` table into the dotted `key = value` text
// pairs the plugin ABI takes. Internal to kernel/config.
//
// Thread-safety: stateless; callable from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

namespace keepdb::config {

// Rules (also in docs/configuration.md):
// - nested tables join keys with '.': `tls = { cert = "c" }` -> ("tls.cert", "c");
// - array elements take their 0-based index as a key part: `a = ["x", "y"]` -> ("a.0", "x"),
//   ("a.1", "y"); empty arrays and empty tables produce no pair;
// - values as text: strings verbatim, integers in decimal, booleans "true"/"false", floats
//   in the shortest form that reads back exactly (always with '.', 'e', "inf" or "nan"),
//   dates and times in TOML spelling;
// - pairs come in file order.
// A key that is empty or contains '.' would make the flat form ambiguous: it is a
// ConfigError naming `path` (the table's dotted key, e.g. "plugin[0].options") and `source`.
std::vector<std::pair<std::string, std::string>> flatten_plugin_options(const toml::table& options,
                                                                        std::string_view path,
                                                                        std::string_view source);

}  // namespace keepdb::config
