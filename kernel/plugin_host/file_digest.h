// SHA-256 of an open file's contents (OpenSSL EVP), as 64 lowercase hex characters: the
// value of a plugin's `sha256` pin in TOML. Reads the descriptor the loader checked and
// will load (file_trust.h), never the path again.
//
// Thread-safety: stateless; safe from any thread. Reads with pread from offset 0, so the
// descriptor's own offset is neither used nor moved.
#pragma once

#include <filesystem>
#include <string>

namespace keepdb::plugin_host {

// `name` is the file's path, for error messages only. Throws PluginError when the file
// cannot be read.
std::string sha256_hex(int fd, const std::filesystem::path& name);

}  // namespace keepdb::plugin_host
