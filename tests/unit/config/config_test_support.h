// Helpers shared by the config unit tests: loading TOML snippets and capturing error texts.
#pragma once

#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "kernel/config/config.h"

namespace keepdb::config::testing {

// Appends the one required key, after the snippet so that the snippet's line numbers hold
// and its root keys stay at the root.
inline std::string with_storage(std::string_view snippet) {
  return std::string(snippet) + "\n[storage]\ndata_dir = \"data\"\n";
}

// Loads `text` as "test.toml"; relative paths resolve against the current directory.
inline Config load(std::string_view text) {
  return load_string(text, "test.toml");
}

// The what() of the ConfigError that loading `text` must raise.
inline std::string error_of(std::string_view text) {
  try {
    load(text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  FAIL("expected a ConfigError for:\n" << text);
  return {};
}

inline std::string testdata(std::string_view name) {
  return std::string(KEEPDB_SOURCE_DIR) + "/tests/testdata/config/" + std::string(name);
}

}  // namespace keepdb::config::testing
