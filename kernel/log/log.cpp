// Implementation of the kernel log: timestamped lines written atomically to stderr.
#include "kernel/log/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "kernel/log/escape.h"

namespace keepdb::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

constexpr std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
  }
  return "?";
}

std::string timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t seconds = system_clock::to_time_t(now);
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text;
}

}  // namespace

void set_min_level(Level level) { min_level.store(static_cast<int>(level)); }

bool enabled(Level level) { return static_cast<int>(level) >= min_level.load(); }

void write(Level level, std::string_view message) {
  std::string text = timestamp();
  text += ' ';
  text += level_name(level);
  text += ' ';
  append_escaped(text, message, Backslash::kEscape);
  text += '\n';
  // One write(2) per line keeps concurrent lines whole; a short write to stderr is ignored.
  [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, text.data(), text.size());
}

}  // namespace keepdb::log
