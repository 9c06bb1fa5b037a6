// Where plugin_host writes its log lines: a tiny sink interface the kernel implements
// with its own logger, and a default that writes to stderr.
//
// Thread-safety: write() is called from any thread (control, worker and plugin-owned
// threads); implementations must be thread-safe. Lifetime: a sink passed to plugin_host
// must outlive every object it was passed to.
#pragma once

#include <string_view>

namespace keepdb::plugin_host {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

class LogSink {
 public:
  virtual ~LogSink() = default;
  // One line, without a trailing newline. Never contains a secret: plugin_host redacts
  // sensitive option values and never formats credentials.
  virtual void write(LogLevel level, std::string_view line) noexcept = 0;
};

// Writes "LEVEL plugin_host: line" to stderr with one write(2) per line.
LogSink& stderr_log_sink();

}  // namespace keepdb::plugin_host
