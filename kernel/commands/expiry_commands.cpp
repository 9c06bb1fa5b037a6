// The expiry command family: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (with NX XX GT LT), TTL PTTL
// EXPIRETIME PEXPIRETIME and PERSIST. The setters are writes: their deadline is fixed when
// the state machine applies them, from the batch time (expiry_time.h). The getters read the
// snapshot at NodeContext::now_ms().
#include <limits>
#include <string>
#include <variant>

#include "kernel/commands/command_families.h"
#include "kernel/commands/expiry_time.h"

namespace keepdb::commands {
namespace {

// ---- TTL and friends ----

enum class Shown : std::uint8_t { kRemaining, kDeadline };

// -2: no such key, -1: no expiry; otherwise the time left (or the deadline), in ms or in
// seconds rounded to the nearest, as Redis.
template <TimeUnit unit, Shown shown>
void exec_ttl(ExecContext& c) {
  const auto value = c.lookup(c.args[1]);
  if (!value) {
    c.out.integer(-2);
    return;
  }
  if (value->expires_at_ms == 0) {
    c.out.integer(-1);
    return;
  }
  std::uint64_t ms = value->expires_at_ms;
  if (shown == Shown::kRemaining) ms = ms > c.node.now_ms() ? ms - c.node.now_ms() : 0;
  if (unit == TimeUnit::kSeconds) ms = ms / 1000 + (ms % 1000 >= 500 ? 1 : 0);
  c.out.integer(static_cast<std::int64_t>(
      std::min<std::uint64_t>(ms, std::numeric_limits<std::int64_t>::max())));
}

// ---- EXPIRE and friends ----

struct ExpireConditions {
  bool nx = false, xx = false, gt = false, lt = false;
};

std::variant<ExpireConditions, std::string> parse_conditions(Args options) {
  ExpireConditions parsed;
  for (std::string_view option : options) {
    if (equals_ignore_case(option, "nx")) {
      parsed.nx = true;
    } else if (equals_ignore_case(option, "xx")) {
      parsed.xx = true;
    } else if (equals_ignore_case(option, "gt")) {
      parsed.gt = true;
    } else if (equals_ignore_case(option, "lt")) {
      parsed.lt = true;
    } else {
      return "ERR Unsupported option " + std::string(option);
    }
  }
  if (parsed.nx && (parsed.xx || parsed.gt || parsed.lt)) {
    return std::string("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (parsed.gt && parsed.lt) {
    return std::string("ERR GT and LT options at the same time are not compatible");
  }
  return parsed;
}

// Whether the conditions allow replacing `current` (0: none, i.e. infinite) by `deadline`.
bool allowed(const ExpireConditions& conditions, std::uint64_t current, std::int64_t deadline) {
  const auto current_ms = static_cast<std::int64_t>(current);
  if (conditions.nx && current != 0) return false;
  if (conditions.xx && current == 0) return false;
  if (conditions.gt && (current == 0 || deadline <= current_ms)) return false;
  if (conditions.lt && current != 0 && deadline >= current_ms) return false;
  return true;
}

constexpr std::string_view expire_command_name(TimeUnit unit, TimeBase base) {
  if (base == TimeBase::kRelative) return unit == TimeUnit::kSeconds ? "expire" : "pexpire";
  return unit == TimeUnit::kSeconds ? "expireat" : "pexpireat";
}

// Options first, then the time, in Redis's order of checks.
template <TimeUnit unit, TimeBase base>
std::optional<std::string> validate_expire(Args a) {
  auto conditions = parse_conditions(a.subspan(3));
  if (auto* error = std::get_if<std::string>(&conditions)) return std::move(*error);
  if (auto error = check_keys(a.subspan(1, 1))) return error;
  auto time = parse_expiry_time(a[2], unit, base, TimeSign::kAnySign,
                                expire_command_name(unit, base));
  if (auto* error = std::get_if<std::string>(&time)) return std::move(*error);
  return std::nullopt;
}

// 1 when the deadline was set (or, being past, the key erased), 0 when the key is missing
// or a condition failed.
template <TimeUnit unit, TimeBase base>
Reply apply_expire(ApplyContext& c, Args a) {
  const auto conditions = std::get<ExpireConditions>(parse_conditions(a.subspan(3)));
  const auto time = std::get<ExpiryTime>(
      parse_expiry_time(a[2], unit, base, TimeSign::kAnySign, expire_command_name(unit, base)));
  const std::int64_t deadline = deadline_at(time, c.now_ms);
  const auto old = c.live(a[1]);
  if (!old || !allowed(conditions, old->expires_at_ms, deadline)) return Reply::number(0);
  if (deadline <= static_cast<std::int64_t>(c.now_ms)) {
    c.erase(a[1]);
  } else {
    const std::string payload(old->payload);  // the put below moves LMDB's pages
    c.put(a[1], payload, static_cast<std::uint64_t>(deadline));
  }
  return Reply::number(1);
}

Reply apply_persist(ApplyContext& c, Args a) {
  const auto old = c.live(a[1]);
  if (!old || old->expires_at_ms == 0) return Reply::number(0);
  const std::string payload(old->payload);
  c.put(a[1], payload);
  return Reply::number(1);
}

using enum TimeUnit;
using enum TimeBase;

constexpr CommandSpec kExpiryCommands[] = {
    keyspace_write("generic", "expire", -3, Access::kWrite, kOneKey, "1.0.0",
                   "Sets the expiration time of a key in seconds.",
                   validate_expire<kSeconds, kRelative>, apply_expire<kSeconds, kRelative>),
    keyspace_write("generic", "pexpire", -3, Access::kWrite, kOneKey, "2.6.0",
                   "Sets the expiration time of a key in milliseconds.",
                   validate_expire<kMilliseconds, kRelative>,
                   apply_expire<kMilliseconds, kRelative>),
    keyspace_write("generic", "expireat", -3, Access::kWrite, kOneKey, "1.2.0",
                   "Sets the expiration time of a key to a Unix timestamp.",
                   validate_expire<kSeconds, kAbsolute>, apply_expire<kSeconds, kAbsolute>),
    keyspace_write("generic", "pexpireat", -3, Access::kWrite, kOneKey, "2.6.0",
                   "Sets the expiration time of a key to a Unix milliseconds timestamp.",
                   validate_expire<kMilliseconds, kAbsolute>,
                   apply_expire<kMilliseconds, kAbsolute>),
    keyspace_read("generic", "ttl", 2, kOneKey, "1.0.0",
                  "Returns the expiration time in seconds of a key.",
                  exec_ttl<kSeconds, Shown::kRemaining>),
    keyspace_read("generic", "pttl", 2, kOneKey, "2.6.0",
                  "Returns the expiration time in milliseconds of a key.",
                  exec_ttl<kMilliseconds, Shown::kRemaining>),
    keyspace_read("generic", "expiretime", 2, kOneKey, "7.0.0",
                  "Returns the expiration time of a key as a Unix timestamp.",
                  exec_ttl<kSeconds, Shown::kDeadline>),
    keyspace_read("generic", "pexpiretime", 2, kOneKey, "7.0.0",
                  "Returns the expiration time of a key as a Unix milliseconds timestamp.",
                  exec_ttl<kMilliseconds, Shown::kDeadline>),
    keyspace_write("generic", "persist", 2, Access::kWrite, kOneKey, "2.2.0",
                   "Removes the expiration time of a key.", validate_first_key, apply_persist),
};

}  // namespace

std::span<const CommandSpec> expiry_commands() { return kExpiryCommands; }

}  // namespace keepdb::commands
