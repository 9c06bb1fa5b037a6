// Helpers for the audit plugin's unit tests: the built libkeepdb_audit.so loaded with dlopen
// and driven through its descriptor with a fake host (log lines collected), synthetic
// events, and file helpers (in a TempDir, tests/support/temp_dir.h).
//
// Thread-safety: a LoadedSink is used from one test thread; the fake host's log may be
// called from the sink's syncer thread and is locked. Lifetime: a LoadedSink destroys its
// instance when destroyed.
#pragma once

#include <keepdb/plugin.h>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace keepdb::audit::test {

using ::keepdb::test::TempDir;

// An event whose strings live in the object; event() points into them.
struct Event {
  std::uint32_t type = 7;
  std::uint64_t wall_ns = 1'796'437'768'123'456'789ull;  // 2026-12-05T...
  std::uint64_t conn_id = 42;
  std::string peer_addr = "10.0.0.7:50312";
  std::string principal = "alice";
  std::string action = "SET";
  std::string outcome = "ok";
  std::string detail = "key=user:1";
  // ABI 1.4 fields, read only when struct_size covers them.
  std::optional<std::string> key;
  std::string node_id;
  std::uint64_t duration_us = KDB_AUDIT_UNTIMED;
  std::uint32_t struct_size = sizeof(kdb_audit_event);
  kdb_audit_event event() const;
};

using Options = std::vector<std::pair<std::string, std::string>>;

class LoadedSink {
 public:
  // Creates an instance with `options`; status() and error() say how create went.
  explicit LoadedSink(const Options& options);
  ~LoadedSink();
  LoadedSink(const LoadedSink&) = delete;
  LoadedSink& operator=(const LoadedSink&) = delete;

  kdb_status status() const { return status_; }
  const std::string& error() const { return error_; }
  kdb_status record(const Event& event);
  kdb_status flush();
  std::vector<std::string> log() const;

 private:
  static void log_line(void* ctx, int level, kdb_str message);
  const kdb_plugin_descriptor* descriptor_ = nullptr;
  kdb_host_api host_{};
  void* instance_ = nullptr;
  kdb_status status_ = KDB_E_INTERNAL;
  std::string error_;
  mutable std::mutex mutex_;
  std::vector<std::string> log_;
};

// The file's lines, without their '\n' (a partial last line included).
std::vector<std::string> read_lines(const std::string& path);
// Writes `lines`, each ended by '\n', to `path` (mode 0600).
void write_lines(const std::string& path, const std::vector<std::string>& lines);
// The options of a file sink writing dir/audit.log as node "node-1", plus `extra`.
Options file_options(const TempDir& dir, Options extra = {});

}  // namespace keepdb::audit::test
