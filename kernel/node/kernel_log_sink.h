// Routes the plugin host's log lines into the kernel log.
#pragma once

#include "kernel/log/log.h"
#include "kernel/plugin_host/log_sink.h"

namespace keepdb::node {

class KernelLogSink final : public plugin_host::LogSink {
 public:
  void write(plugin_host::LogLevel level, std::string_view line) noexcept override {
    try {
      log::write(to_kernel(level), line);
    } catch (...) {  // the sink must not throw; a lost log line is the lesser harm
    }
  }

 private:
  static log::Level to_kernel(plugin_host::LogLevel level) {
    switch (level) {
      case plugin_host::LogLevel::kDebug: return log::Level::kDebug;
      case plugin_host::LogLevel::kInfo: return log::Level::kInfo;
      case plugin_host::LogLevel::kWarn: return log::Level::kWarn;
      case plugin_host::LogLevel::kError: return log::Level::kError;
    }
    return log::Level::kError;
  }
};

}  // namespace keepdb::node
