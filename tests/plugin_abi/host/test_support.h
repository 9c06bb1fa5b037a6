// Helpers for the plugin ABI tests: staging fixture plugins into a TempDir
// (tests/support/temp_dir.h), a log sink that records lines, and a blocking wrapper around
// AuthChain::authenticate.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "kernel/config/config.h"
#include "kernel/plugin_host/auth_chain.h"
#include "kernel/plugin_host/log_sink.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace keepdb::plugin_host::testing {

using ::keepdb::test::TempDir;

// Copies a built fixture into `dir` (mode 0755) and returns the copy's path. Staging the
// same fixture again replaces the file, never rewrites it.
std::filesystem::path stage(const std::filesystem::path& built, const std::filesystem::path& dir);
std::filesystem::path stage(const std::filesystem::path& built, const TempDir& dir);

// Points the constructor_marker fixture at `marker` (KDB_FIXTURE_MARKER) while alive: the
// file appears once any copy of that fixture is loaded.
class MarkerEnv {
 public:
  explicit MarkerEnv(const std::filesystem::path& marker);
  ~MarkerEnv();
  MarkerEnv(const MarkerEnv&) = delete;
  MarkerEnv& operator=(const MarkerEnv&) = delete;
};

using ::keepdb::test::write_file;

// The file's SHA-256 as the loader computes it (64 lowercase hex characters).
std::string sha256_of(const std::filesystem::path& path);

// Records every line; thread-safe.
class RecordingLogSink final : public LogSink {
 public:
  void write(LogLevel level, std::string_view line) noexcept override;
  bool contains(std::string_view text) const;
  std::string all() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

using Options = std::vector<std::pair<std::string, std::string>>;

struct Entry {
  std::string name;
  std::filesystem::path path;
  Options options;
  std::string sha256;
};

config::Plugins plugins(std::initializer_list<Entry> entries);

// Runs one attempt and waits for its outcome.
AuthOutcome authenticate(AuthChain& chain, std::string username, std::string secret);

}  // namespace keepdb::plugin_host::testing
