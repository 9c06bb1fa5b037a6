// SHA-256 of a file's contents (OpenSSL EVP), as 64 lowercase hex characters: the value
// of a plugin's `sha256` pin in TOML.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <filesystem>
#include <string>

namespace keepdb::plugin_host {

// Throws PluginError when the file cannot be read.
std::string sha256_file_hex(const std::filesystem::path& file);

}  // namespace keepdb::plugin_host
