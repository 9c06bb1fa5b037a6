// Parsing of expiry times and their conversion to deadlines.
#include "kernel/commands/expiry_time.h"

#include <algorithm>
#include <limits>

#include "kernel/commands/command_families.h"
#include "kernel/commands/errors.h"
#include "kernel/commands/number.h"

namespace keepdb::commands {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kClockCeilingMs = std::int64_t{1} << 53;

std::string invalid_expire_time(std::string_view command_name) {
  return "ERR invalid expire time in '" + std::string(command_name) + "' command";
}

}  // namespace

std::optional<ExpiryKeyword> expiry_keyword(std::string_view option) {
  using enum TimeUnit;
  using enum TimeBase;
  if (equals_ignore_case(option, "ex")) return ExpiryKeyword{kSeconds, kRelative};
  if (equals_ignore_case(option, "px")) return ExpiryKeyword{kMilliseconds, kRelative};
  if (equals_ignore_case(option, "exat")) return ExpiryKeyword{kSeconds, kAbsolute};
  if (equals_ignore_case(option, "pxat")) return ExpiryKeyword{kMilliseconds, kAbsolute};
  return std::nullopt;
}

std::variant<ExpiryTime, std::string> parse_expiry_time(std::string_view text, TimeUnit unit,
                                                        TimeBase base, TimeSign sign,
                                                        std::string_view command_name) {
  const auto value = parse_int64(text);
  if (!value) return std::string(errors::kNotInteger);
  std::int64_t ms = *value;
  if (sign == TimeSign::kPositiveOnly && ms <= 0) return invalid_expire_time(command_name);
  if (unit == TimeUnit::kSeconds) {
    if (ms > kMax / 1000 || ms < kMin / 1000) return invalid_expire_time(command_name);
    ms *= 1000;
  }
  if (base == TimeBase::kRelative && ms > kMax - kClockCeilingMs) {
    return invalid_expire_time(command_name);
  }
  return ExpiryTime{ms, base};
}

std::int64_t deadline_at(const ExpiryTime& time, std::uint64_t now_ms) {
  if (time.base == TimeBase::kAbsolute) return time.ms;
  // parse_expiry_time bounds relative times; a clock past the ceiling saturates.
  const auto now = static_cast<std::int64_t>(std::min<std::uint64_t>(now_ms, kClockCeilingMs));
  return now + time.ms;
}

}  // namespace keepdb::commands
