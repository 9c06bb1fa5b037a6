// Opening plugin libraries: the trusted-file rule, the optional sha256 pin (checked before
// the library is loaded), the ELF check, dlopen with RTLD_NOW | RTLD_LOCAL through
// Boost.DLL, the entry symbol and the descriptor checks. Every library that loads stays
// loaded for the life of the process (a registry that never unloads: unloading plugin
// code is rarely safe), so descriptors returned here are valid until exit.
//
// Thread-safety: open_library may be called from any thread; loads are serialized.
#pragma once

#include <keepdb/plugin.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace keepdb::plugin_host {

enum class LoadStatus {
  kOk,
  kUntrusted,           // file or directory writable by others, or foreign owner
  kChecksumMismatch,    // sha256 pin differs; the library was not loaded
  kNotSharedObject,     // not an ELF file
  kLoadError,           // dlopen failed (reason carries dlerror) or file unreadable
  kMissingEntrySymbol,  // no kdb_plugin_entry_v1
  kAbiMismatch,         // descriptor names another ABI major
  kBadDescriptor,       // entry returned NULL, threw, or the descriptor is malformed
};

// "ok", "untrusted", "checksum mismatch", "not a shared object", "load error",
// "missing entry symbol", "ABI mismatch", "bad descriptor".
std::string_view load_status_name(LoadStatus status);

struct LibraryReport {
  std::filesystem::path path;
  std::string sha256;  // of the file's bytes; empty when unreadable
  LoadStatus status = LoadStatus::kLoadError;
  std::string reason;  // why status is not kOk; empty when kOk
  // The ABI the plugin declared, when its descriptor could be read.
  std::optional<std::uint16_t> abi_major;
  std::optional<std::uint16_t> abi_minor;
  // Set exactly when status is kOk; valid for the life of the process.
  const kdb_plugin_descriptor* descriptor = nullptr;
};

// Checks and loads `path`. `sha256_pin` is empty (no pin) or 64 hex characters.
// Never throws for a bad library: the report says what is wrong.
LibraryReport open_library(const std::filesystem::path& path, std::string_view sha256_pin);

}  // namespace keepdb::plugin_host
