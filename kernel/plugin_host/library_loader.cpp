// The process-lifetime library registry and the ordered checks in front of dlopen.

#include "kernel/plugin_host/library_loader.h"

#include <unistd.h>

#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <array>
#include <cctype>
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

// One loaded library. The host services given to its entry point live as long as it; so
// does the open file it was loaded from (see the header: its /proc/self/fd name stays
// taken).
struct LoadedLibrary {
  explicit LoadedLibrary(LibraryFile opened) : file(std::move(opened)) {}
  LibraryFile file;
  boost::dll::shared_library library;
  std::string sha256;
  std::unique_ptr<HostServices> entry_services;
  LibraryReport report;
};

// Libraries by resolved path. Never destroyed: unloading plugin code is not safe.
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

bool is_elf(const LibraryFile& file) {
  std::array<char, 4> magic{};
  return ::pread(file.descriptor(), magic.data(), magic.size(), 0) == 4 &&
         magic == std::array<char, 4>{'\x7f', 'E', 'L', 'F'};
}

// Boost.DLL's message wraps dlerror's; keep just dlerror's text when present, naming the
// library's path rather than the /proc/self/fd name it was loaded under.
std::string dlopen_reason(const std::exception& error, const LibraryFile& file) {
  std::string text = error.what();
  static constexpr std::string_view kMarker = "dlerror system message: ";
  if (const std::size_t start = text.find(kMarker); start != std::string::npos) {
    const std::size_t end = text.rfind(')');
    const std::size_t from = start + kMarker.size();
    text =
        text.substr(from, end == std::string::npos || end < from ? std::string::npos : end - from);
  }
  const std::string loaded_as = file.proc_path().string();
  if (const std::size_t at = text.find(loaded_as); at != std::string::npos) {
    text.replace(at, loaded_as.size(), file.resolved_path().string());
  }
  return text;
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
      "plugin library " + report.path.filename().string(), std::string(), stderr_log_sink());
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

CheckedLibrary check_library(const std::filesystem::path& path, std::string_view sha256_pin) {
  CheckedLibrary checked{{}, LibraryFile::open(path)};
  LibraryReport& report = checked.report;
  report.path = path;
  switch (checked.file.status()) {
    case LibraryFile::Status::kOpen:
      break;
    case LibraryFile::Status::kUntrusted:
      report.status = LoadStatus::kUntrusted;
      report.reason = checked.file.problem();
      return checked;
    case LibraryFile::Status::kUnreadable:
      report.status = LoadStatus::kLoadError;
      report.reason = checked.file.problem();
      return checked;
  }
  try {
    report.sha256 = sha256_hex(checked.file.descriptor(), checked.file.resolved_path());
  } catch (const PluginError& unreadable) {
    report.reason = unreadable.what();
    return checked;
  }
  if (!sha256_pin.empty() && !pin_matches(sha256_pin, report.sha256)) {
    report.status = LoadStatus::kChecksumMismatch;
    report.reason = "sha256 is " + report.sha256 + ", the pin expects " + std::string(sha256_pin);
    return checked;
  }
  if (!is_elf(checked.file)) {
    report.status = LoadStatus::kNotSharedObject;
    report.reason = "not an ELF shared object";
    return checked;
  }
  report.status = LoadStatus::kOk;
  return checked;
}

LibraryReport load_library(CheckedLibrary checked) {
  if (checked.report.status != LoadStatus::kOk) return checked.report;
  const std::filesystem::path key = checked.file.resolved_path();
  const std::string& sha256 = checked.report.sha256;
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  if (const auto found = r.loaded.find(key); found != r.loaded.end()) {
    LibraryReport known = found->second->report;
    known.path = checked.report.path;
    if (found->second->sha256 != sha256) {
      known.status = LoadStatus::kLoadError;
      known.descriptor = nullptr;
      known.sha256 = sha256;
      known.reason = "the file changed since this process loaded it; restart keepd to use it";
    }
    return known;
  }
  auto library = std::make_unique<LoadedLibrary>(std::move(checked.file));
  library->sha256 = sha256;
  library->report = checked.report;
  try {
    library->library.load(library->file.proc_path(),
                          boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& error) {
    library->report.status = LoadStatus::kLoadError;
    library->report.reason = dlopen_reason(error, library->file);
    return library->report;  // not registered: nothing was loaded
  }
  resolve_descriptor(*library);
  const LibraryReport report = library->report;
  r.loaded.emplace(key, std::move(library));
  return report;
}

LibraryReport open_library(const std::filesystem::path& path, std::string_view sha256_pin) {
  return load_library(check_library(path, sha256_pin));
}

}  // namespace keepdb::plugin_host
