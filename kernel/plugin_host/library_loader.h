// Opening plugin libraries, in two steps. check_library opens the file once (file_trust.h:
// O_NOFOLLOW, the trusted-file rule on the descriptor and on every directory above it) and
// runs the checks that need no loading on that descriptor: the optional sha256 pin, then
// the ELF magic. load_library then loads that same open file, never the path again: dlopen
// (RTLD_NOW | RTLD_LOCAL, through Boost.DLL) of /proc/self/fd/N, then the entry symbol and
// the descriptor checks. A file renamed over the path between the two steps is never
// loaded, and a library that fails a check never runs a line of its code (not even its
// constructors). open_library does both steps.
//
// Every library that loads stays loaded for the life of the process (a registry that never
// unloads: unloading plugin code is rarely safe), so descriptors returned here are valid
// until exit. The registry also keeps each loaded library's descriptor open: the dynamic
// loader recognises an already-loaded object by the name it was opened under, so a
// /proc/self/fd/N name must never be reused while its library is loaded.
//
// Thread-safety: every function may be called from any thread; loads are serialized.
#pragma once

#include <keepdb/plugin.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "kernel/plugin_host/file_trust.h"

namespace keepdb::plugin_host {

enum class LoadStatus {
  kOk,
  kUntrusted,           // file, a directory above it, or a link writable by others or
                        // owned by another user; or the file is a symbolic link
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

// A library file after the checks made before loading.
struct CheckedLibrary {
  // kOk with no descriptor yet when every check passed; else why the library is refused.
  LibraryReport report;
  LibraryFile file;  // the open file the checks read; what load_library loads
};

// Opens `path` and checks it. `sha256_pin` is empty (no pin) or 64 hex characters.
// Never throws for a bad library: the report says what is wrong.
CheckedLibrary check_library(const std::filesystem::path& path, std::string_view sha256_pin);

// Loads the file `checked` holds, or returns its refusal unchanged. Never throws for a bad
// library.
LibraryReport load_library(CheckedLibrary checked);

// check_library then load_library.
LibraryReport open_library(const std::filesystem::path& path, std::string_view sha256_pin);

}  // namespace keepdb::plugin_host
