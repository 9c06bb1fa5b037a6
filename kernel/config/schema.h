// The configuration schema: which tables and keys exist, their types, defaults, ranges and
// the checks that span several keys. Maps a parsed TOML document to a Config. Internal to
// kernel/config (it exposes toml++ types); docs/configuration.md documents the same schema.
//
// Thread-safety: stateless; callable from any thread.
#pragma once

#include <filesystem>
#include <string_view>

#include <toml++/toml.h>

#include "kernel/config/config.h"

namespace keepdb::config {

// Throws ConfigError naming `source` on the first problem. Relative paths in the document
// are resolved against `base_dir`, which must be absolute. Leaves Config::source empty.
Config read_config(const toml::table& document, std::string_view source,
                   const std::filesystem::path& base_dir);

}  // namespace keepdb::config
