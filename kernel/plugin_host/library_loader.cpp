// The process-lifetime library registry and the ordered checks in front of dlopen.

#include "kernel/plugin_host/library_loader.h"

#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>

#include "kernel/plugin_host/abi_guard.h"
#include "kernel/plugin_host/descriptor_check.h"
#include "kernel/plugin_host/file_digest.h"
#include "kernel/plugin_host/file_trust.h"
#include "kernel/plugin_host/host_services.h"
#include "kernel/plugin_host/plugin_error.h"

namespace keepdb::plugin_host {
namespace {

constexpr const char* kEntrySymbol = "kdb_plugin_entry_v1";

using EntryFunction = const kdb_plugin_descriptor*(const kdb_host_api*);

// One loaded library. The host services given to its entry point live as long as it.
struct LoadedLibrary {
  boost::dll::shared_library library;
  std::string sha256;
  std::unique_ptr<HostServices> entry_services;
  LibraryReport report;
};

// Libraries by canonical path. Never destroyed: unloading plugin code is not safe.
struct Registry {
  std::mutex mutex;
  std::map<std::filesystem::path, std::unique_ptr<LoadedLibrary>> loaded;
};

Registry& registry() {
  static auto* const instance = new Registry;
  return *instance;
}

bool pin_matches(std::string_view pin, const std::string& actual) {
  return std::equal(pin.begin(), pin.end(), actual.begin(), actual.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  });
}

bool is_elf(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 4> magic{};
  in.read(magic.data(), magic.size());
  return in.gcount() == 4 && magic == std::array<char, 4>{'\x7f', 'E', 'L', 'F'};
}

// Boost.DLL's message wraps dlerror's; keep just dlerror's text when present.
std::string dlopen_reason(const std::exception& error) {
  const std::string text = error.what();
  static constexpr std::string_view kMarker = "dlerror system message: ";
  const std::size_t start = text.find(kMarker);
  if (start == std::string::npos) return text;
  const std::size_t end = text.rfind(')');
  const std::size_t from = start + kMarker.size();
  return text.substr(from, end == std::string::npos || end < from ? std::string::npos : end - from);
}

// Calls the entry point and checks what it returns. `library.report.path` is set.
void resolve_descriptor(LoadedLibrary& library) {
  LibraryReport& report = library.report;
  if (!library.library.has(kEntrySymbol)) {
    report.status = LoadStatus::kMissingEntrySymbol;
    report.reason = std::string("no exported symbol ") + kEntrySymbol;
    return;
  }
  auto& entry = library.library.get<EntryFunction>(kEntrySymbol);
  library.entry_services = std::make_unique<HostServices>(
      "plugin library " + report.path.filename().string(), stderr_log_sink());
  std::string failure;
  const kdb_plugin_descriptor* descriptor = nullptr;
  call_guarded(
      [&] {
        descriptor = entry(library.entry_services->api());
        return KDB_OK;
      },
      failure);
  if (!failure.empty() || descriptor == nullptr) {
    report.status = LoadStatus::kBadDescriptor;
    report.reason = failure.empty() ? std::string(kEntrySymbol) + " returned NULL"
                                    : std::string(kEntrySymbol) + " " + failure;
    return;
  }
  if (descriptor->struct_size >= KDB_SIZE_THROUGH(kdb_plugin_descriptor, abi_minor)) {
    report.abi_major = descriptor->abi_major;
    report.abi_minor = descriptor->abi_minor;
  }
  if (!abi_major_matches(*descriptor)) {
    report.status = LoadStatus::kAbiMismatch;
    report.reason = "plugin declares ABI major " +
                    (report.abi_major ? std::to_string(*report.abi_major) : std::string("?")) +
                    "; this host speaks " + std::to_string(KDB_ABI_MAJOR);
    return;
  }
  if (std::string problem = descriptor_problem(*descriptor); !problem.empty()) {
    report.status = LoadStatus::kBadDescriptor;
    report.reason = std::move(problem);
    return;
  }
  report.status = LoadStatus::kOk;
  report.descriptor = descriptor;
}

// Loads a library that passed the file checks, or returns the registered one.
LibraryReport load_checked(const std::filesystem::path& real_path, const std::string& sha256) {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  if (const auto found = r.loaded.find(real_path); found != r.loaded.end()) {
    if (found->second->sha256 != sha256) {
      LibraryReport changed = found->second->report;
      changed.status = LoadStatus::kLoadError;
      changed.descriptor = nullptr;
      changed.sha256 = sha256;
      changed.reason = "the file changed since this process loaded it; restart keepd to use it";
      return changed;
    }
    return found->second->report;
  }
  auto library = std::make_unique<LoadedLibrary>();
  library->sha256 = sha256;
  library->report.path = real_path;
  library->report.sha256 = sha256;
  try {
    library->library.load(real_path,
                          boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& error) {
    library->report.status = LoadStatus::kLoadError;
    library->report.reason = dlopen_reason(error);
    return library->report;  // not registered: nothing was loaded
  }
  resolve_descriptor(*library);
  const LibraryReport report = library->report;
  r.loaded.emplace(real_path, std::move(library));
  return report;
}

}  // namespace

std::string_view load_status_name(LoadStatus status) {
  switch (status) {
    case LoadStatus::kOk:
      return "ok";
    case LoadStatus::kUntrusted:
      return "untrusted";
    case LoadStatus::kChecksumMismatch:
      return "checksum mismatch";
    case LoadStatus::kNotSharedObject:
      return "not a shared object";
    case LoadStatus::kLoadError:
      return "load error";
    case LoadStatus::kMissingEntrySymbol:
      return "missing entry symbol";
    case LoadStatus::kAbiMismatch:
      return "ABI mismatch";
    case LoadStatus::kBadDescriptor:
      return "bad descriptor";
  }
  return "load error";
}

LibraryReport open_library(const std::filesystem::path& path, std::string_view sha256_pin) {
  LibraryReport report;
  report.path = path;
  std::error_code error;
  const std::filesystem::path real_path = std::filesystem::canonical(path, error);
  if (error) {
    report.reason = path.string() + ": " + error.message();
    return report;
  }
  if (std::string why = untrusted_reason(real_path); !why.empty()) {
    report.status = LoadStatus::kUntrusted;
    report.reason = std::move(why);
    return report;
  }
  try {
    report.sha256 = sha256_file_hex(real_path);
  } catch (const PluginError& unreadable) {
    report.reason = unreadable.what();
    return report;
  }
  if (!sha256_pin.empty() && !pin_matches(sha256_pin, report.sha256)) {
    report.status = LoadStatus::kChecksumMismatch;
    report.reason = "sha256 is " + report.sha256 + ", the pin expects " + std::string(sha256_pin);
    return report;
  }
  if (!is_elf(real_path)) {
    report.status = LoadStatus::kNotSharedObject;
    report.reason = "not an ELF shared object";
    return report;
  }
  LibraryReport loaded = load_checked(real_path, report.sha256);
  loaded.path = path;
  return loaded;
}

}  // namespace keepdb::plugin_host
