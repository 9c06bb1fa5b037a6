// The default LogSink: one stderr line per call.
#include "kernel/plugin_host/log_sink.h"

#include <unistd.h>

#include <string>

namespace keepdb::plugin_host {
namespace {

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "ERROR";
}

class StderrLogSink final : public LogSink {
 public:
  void write(LogLevel level, std::string_view line) noexcept override {
    try {
      std::string text;
      text.append(level_name(level)).append(" plugin_host: ").append(line).push_back('\n');
      // A single write keeps lines from different threads whole; a short write of a log
      // line is not worth retrying.
      [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
    } catch (...) {
      // Out of memory while logging: drop the line.
    }
  }
};

}  // namespace

LogSink& stderr_log_sink() {
  static StderrLogSink sink;
  return sink;
}

}  // namespace keepdb::plugin_host
