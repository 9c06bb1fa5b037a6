// The kernel's log: one line per event on stderr, "2026-11-22T19:47:13.123Z LEVEL message".
// Callers must never pass secrets (tokens, passwords, key material) to it. Text from outside
// (a peer's cluster id, a client's name) may be passed as it is: write() escapes every byte
// outside printable ASCII, and backslashes, as \xNN (escape.h), so no input can forge or
// split a line or carry invalid UTF-8 into it. Quote client bytes cut by log::truncated().
//
// Thread-safety: every function may be called from any thread; each line is written
// with a single write(2), so lines from different threads never interleave.
#pragma once

#include <sstream>
#include <string_view>

namespace keepdb::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines below this level are dropped (default kInfo; `keepd run --log-level`, or the
// KEEPDB_LOG_LEVEL environment variable, sets it).
void set_min_level(Level level);
bool enabled(Level level);
void write(Level level, std::string_view message);

// Formats its arguments with operator<< into one line.
template <typename... Parts>
void line(Level level, const Parts&... parts) {
  if (!enabled(level)) return;
  std::ostringstream text;
  (text << ... << parts);
  write(level, text.str());
}

template <typename... Parts> void debug(const Parts&... p) { line(Level::kDebug, p...); }
template <typename... Parts> void info(const Parts&... p) { line(Level::kInfo, p...); }
template <typename... Parts> void warn(const Parts&... p) { line(Level::kWarn, p...); }
template <typename... Parts> void error(const Parts&... p) { line(Level::kError, p...); }

}  // namespace keepdb::log
