// Expiry times as commands state them: relative (EX PX EXPIRE PEXPIRE) or absolute (EXAT PXAT
// EXPIREAT PEXPIREAT), in seconds or milliseconds. Parsing is pure (no clock), so the same
// checks run when a write is admitted and again when the state machine applies it; the
// deadline is fixed only at apply time, from the batch time the leader chose, and is
// therefore the same on every server.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace keepdb::commands {

enum class TimeUnit : std::uint8_t { kSeconds, kMilliseconds };
enum class TimeBase : std::uint8_t { kRelative, kAbsolute };

struct ExpiryTime {
  std::int64_t ms = 0;  // relative to the batch time, or a Unix time, per `base`
  TimeBase base = TimeBase::kRelative;
};

// The unit and base an option keyword names: EX PX EXAT PXAT (any case); nullopt otherwise.
struct ExpiryKeyword {
  TimeUnit unit;
  TimeBase base;
};
std::optional<ExpiryKeyword> expiry_keyword(std::string_view option);

// Which values a command accepts: SET, SETEX and GETEX only positive ones; EXPIRE and
// friends any integer (a deadline in the past deletes the key).
enum class TimeSign : std::uint8_t { kPositiveOnly, kAnySign };

// Parses `text` as Redis does for command `command_name` (lowercase): an integer (else
// "ERR value is not an integer or out of range"), within the range Redis accepts (else
// "ERR invalid expire time in '<command_name>' command"). Relative times must leave room
// for any plausible clock (below 2^53 ms, year 287396), so apply-time addition never
// overflows.
std::variant<ExpiryTime, std::string> parse_expiry_time(std::string_view text, TimeUnit unit,
                                                        TimeBase base, TimeSign sign,
                                                        std::string_view command_name);

// The absolute deadline (Unix ms) `time` names when applied at `now_ms`. A result at or
// before `now_ms` (possibly negative) means the key is already expired.
std::int64_t deadline_at(const ExpiryTime& time, std::uint64_t now_ms);

}  // namespace keepdb::commands
