// Helpers for the plugin ABI tests: private temp dirs, staging fixture plugins into them,
// a log sink that records lines, and a blocking wrapper around AuthChain::authenticate.
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

namespace keepdb::plugin_host::testing {

// A fresh mode-0700 directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Copies a built fixture into `dir` (mode 0755) and returns the copy's path. Staging the
// same fixture again replaces the file, never rewrites it.
std::filesystem::path stage(const std::filesystem::path& built, const TempDir& dir);

void write_file(const std::filesystem::path& path, const std::string& contents,
                std::filesystem::perms mode);

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
