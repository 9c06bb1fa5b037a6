// The string command family: GET GETRANGE SUBSTR LCS SET SETNX SETEX PSETEX GETSET GETDEL
// GETEX APPEND SETRANGE STRLEN INCR INCRBY DECR DECRBY INCRBYFLOAT MGET MSET MSETNX. Reads run
// immediately against a read snapshot; writes are applied by the state machine. Expired keys
// are absent to both.
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "kernel/commands/command_families.h"
#include "kernel/commands/errors.h"
#include "kernel/commands/expiry_time.h"
#include "kernel/commands/lcs.h"
#include "kernel/commands/number.h"
#include "kernel/commands/value_range.h"

namespace keepdb::commands {
namespace {

// ---- reads ----

void exec_get(ExecContext& c) {
  const auto value = c.lookup(c.args[1]);
  if (value) {
    c.out.bulk(value->payload);
  } else {
    c.out.null();
  }
}

void exec_strlen(ExecContext& c) {
  const auto value = c.lookup(c.args[1]);
  c.out.integer(value ? static_cast<std::int64_t>(value->payload.size()) : 0);
}

// GETRANGE and SUBSTR: the bytes from start to end; empty for a missing key.
void exec_getrange(ExecContext& c) {
  const auto start = parse_int64(c.args[2]);
  const auto end = parse_int64(c.args[3]);
  if (!start || !end) {
    c.out.error(errors::kNotInteger);
    return;
  }
  const auto value = c.lookup(c.args[1]);
  const std::string_view payload = value ? value->payload : std::string_view();
  const ValueRange range = clamp_range(*start, *end, static_cast<std::int64_t>(payload.size()));
  if (backwards_from_end(*start, *end) || range.empty()) {
    c.out.bulk("");
  } else {
    c.out.bulk(payload.substr(static_cast<std::size_t>(range.first),
                              static_cast<std::size_t>(range.last - range.first + 1)));
  }
}

void exec_mget(ExecContext& c) {
  c.out.array(c.args.size() - 1);
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    const auto value = c.lookup(c.args[i]);
    if (value) {
      c.out.bulk(value->payload);
    } else {
      c.out.null();
    }
  }
}

// ---- LCS ----

struct LcsOptions {
  bool len = false, idx = false, with_match_len = false;
  std::uint64_t min_match_len = 0;  // 0: every range
};

// Parses [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]; on error writes the reply.
std::optional<LcsOptions> parse_lcs_options(ExecContext& c) {
  LcsOptions options;
  for (std::size_t i = 3; i < c.args.size(); ++i) {
    const std::string_view option = c.args[i];
    if (equals_ignore_case(option, "idx")) {
      options.idx = true;
    } else if (equals_ignore_case(option, "len")) {
      options.len = true;
    } else if (equals_ignore_case(option, "withmatchlen")) {
      options.with_match_len = true;
    } else if (equals_ignore_case(option, "minmatchlen") && i + 1 < c.args.size()) {
      const auto min = parse_int64(c.args[++i]);
      if (!min) {
        c.out.error(errors::kNotInteger);
        return std::nullopt;
      }
      options.min_match_len = *min > 0 ? static_cast<std::uint64_t>(*min) : 0;
    } else {
      c.out.error(errors::kSyntax);
      return std::nullopt;
    }
  }
  if (options.len && options.idx) {
    c.out.error("ERR If you want both the length and indexes, please just use IDX.");
    return std::nullopt;
  }
  return options;
}

// LCS replies the subsequence, its length (LEN), or its match ranges and length (IDX). It
// runs on the network thread in time proportional to its table, so the table may be no
// larger than the largest bulk string a client may send (Redis bounds it the same way).
void exec_lcs(ExecContext& c) {
  const auto options = parse_lcs_options(c);
  if (!options) return;
  const auto a = c.lookup(c.args[1]);
  const auto b = c.lookup(c.args[2]);
  const std::string_view a_bytes = a ? a->payload : std::string_view();
  const std::string_view b_bytes = b ? b->payload : std::string_view();
  if (lcs_table_bytes(a_bytes.size(), b_bytes.size()) > c.node.config().limits.max_bulk_bytes) {
    c.out.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  const Lcs lcs = longest_common_subsequence(a_bytes, b_bytes);
  if (!options->idx) {
    if (options->len) {
      c.out.integer(static_cast<std::int64_t>(lcs.common.size()));
    } else {
      c.out.bulk(lcs.common);
    }
    return;
  }
  std::vector<LcsRange> shown;
  for (const LcsRange& range : lcs.ranges) {
    if (range.length() >= options->min_match_len) shown.push_back(range);
  }
  c.out.map(2);
  c.out.bulk("matches");
  c.out.array(shown.size());
  for (const LcsRange& range : shown) {
    c.out.array(options->with_match_len ? 3 : 2);
    c.out.array(2);
    c.out.integer(static_cast<std::int64_t>(range.a_first));
    c.out.integer(static_cast<std::int64_t>(range.a_last));
    c.out.array(2);
    c.out.integer(static_cast<std::int64_t>(range.b_first));
    c.out.integer(static_cast<std::int64_t>(range.b_last));
    if (options->with_match_len) c.out.integer(static_cast<std::int64_t>(range.length()));
  }
  c.out.bulk("len");
  c.out.integer(static_cast<std::int64_t>(lcs.common.size()));
}

// ---- SET and friends ----

// The options of SET (NX XX GET KEEPTTL and one expiry) and GETEX (one expiry or PERSIST),
// accepted in the combinations Redis accepts: a repeated keyword is fine, two different
// expiry keywords or an expiry with KEEPTTL/PERSIST are a syntax error.
struct ExpiryOption {
  ExpiryKeyword keyword;
  std::string_view value;
};

struct StringOptions {
  bool nx = false, xx = false, get = false, keep_ttl = false, persist = false;
  std::optional<ExpiryOption> expiry;
};

enum class OptionsOf : std::uint8_t { kSet, kGetex };

std::optional<StringOptions> parse_string_options(Args options, OptionsOf command) {
  StringOptions parsed;
  const bool set = command == OptionsOf::kSet;
  for (std::size_t i = 0; i < options.size(); ++i) {
    const std::string_view option = options[i];
    const auto keyword = expiry_keyword(option);
    const bool other_expiry = keyword && parsed.expiry &&
                              (parsed.expiry->keyword.unit != keyword->unit ||
                               parsed.expiry->keyword.base != keyword->base);
    if (set && equals_ignore_case(option, "nx") && !parsed.xx) {
      parsed.nx = true;
    } else if (set && equals_ignore_case(option, "xx") && !parsed.nx) {
      parsed.xx = true;
    } else if (set && equals_ignore_case(option, "get")) {
      parsed.get = true;
    } else if (set && equals_ignore_case(option, "keepttl") && !parsed.expiry) {
      parsed.keep_ttl = true;
    } else if (!set && equals_ignore_case(option, "persist") && !parsed.expiry) {
      parsed.persist = true;
    } else if (keyword && !parsed.keep_ttl && !parsed.persist && !other_expiry &&
               i + 1 < options.size()) {
      parsed.expiry = ExpiryOption{*keyword, options[++i]};
    } else {
      return std::nullopt;
    }
  }
  return parsed;
}

std::optional<std::string> check_key_and_time(std::string_view key, std::string_view time,
                                              TimeUnit unit, std::string_view command_name) {
  if (auto error = key_error(key)) return error;
  const auto parsed = parse_expiry_time(time, unit, TimeBase::kRelative, TimeSign::kPositiveOnly,
                                        command_name);
  if (const auto* error = std::get_if<std::string>(&parsed)) return *error;
  return std::nullopt;
}

// The deadline an expiry option names at the batch time, or the error reply for its value.
std::variant<std::int64_t, std::string> option_deadline(const ExpiryOption& option,
                                                        std::uint64_t now_ms,
                                                        std::string_view command_name) {
  auto parsed = parse_expiry_time(option.value, option.keyword.unit, option.keyword.base,
                                  TimeSign::kPositiveOnly, command_name);
  if (auto* error = std::get_if<std::string>(&parsed)) return std::move(*error);
  return deadline_at(std::get<ExpiryTime>(parsed), now_ms);
}

// Stores `payload` under `key` until `deadline`, or erases the key when the deadline has
// already passed (it would be invisible from the start).
void put_until(ApplyContext& c, std::string_view key, std::string_view payload,
               std::int64_t deadline) {
  if (deadline <= static_cast<std::int64_t>(c.now_ms)) {
    c.erase(key);
  } else {
    c.put(key, payload, static_cast<std::uint64_t>(deadline));
  }
}

std::optional<std::string> validate_set(Args a) {
  const auto options = parse_string_options(a.subspan(3), OptionsOf::kSet);
  if (!options) return std::string(errors::kSyntax);
  if (auto error = key_error(a[1])) return error;
  if (options->expiry) {
    auto deadline = option_deadline(*options->expiry, 0, "set");
    if (auto* error = std::get_if<std::string>(&deadline)) return std::move(*error);
  }
  return std::nullopt;
}

std::optional<std::string> copy_payload(ApplyContext& c, std::string_view key) {
  const auto value = c.live(key);
  if (!value) return std::nullopt;
  return std::string(value->payload);
}

Reply apply_set(ApplyContext& c, Args a) {
  const StringOptions options =
      parse_string_options(a.subspan(3), OptionsOf::kSet).value_or(StringOptions{});
  // Only NX, XX, GET and KEEPTTL look at the old record. Without them the write replaces
  // whatever is stored, an expired record included (put() and erase() drop its expiry
  // index entry and keep the counts), so the lookup is skipped.
  const bool reads_old = options.nx || options.xx || options.get || options.keep_ttl;
  const auto old = reads_old ? c.live(a[1]) : std::nullopt;
  Reply previous = Reply::null();
  if (old && options.get) previous = Reply::bulk(std::string(old->payload));
  const bool blocked = (options.nx && old) || (options.xx && !old);
  if (!blocked) {
    if (options.expiry) {
      const auto deadline = option_deadline(*options.expiry, c.now_ms, "set");
      put_until(c, a[1], a[2], std::get<std::int64_t>(deadline));
    } else {
      c.put(a[1], a[2], options.keep_ttl && old ? old->expires_at_ms : 0);
    }
  }
  if (options.get) return previous;
  return blocked ? Reply::null() : Reply::ok();
}

template <TimeUnit unit>
std::optional<std::string> validate_setex(Args a) {
  return check_key_and_time(a[1], a[2], unit, unit == TimeUnit::kSeconds ? "setex" : "psetex");
}

template <TimeUnit unit>
Reply apply_setex(ApplyContext& c, Args a) {
  const auto time = parse_expiry_time(a[2], unit, TimeBase::kRelative, TimeSign::kPositiveOnly, "");
  put_until(c, a[1], a[3], deadline_at(std::get<ExpiryTime>(time), c.now_ms));
  return Reply::ok();
}

std::optional<std::string> validate_getex(Args a) {
  if (!parse_string_options(a.subspan(2), OptionsOf::kGetex)) return std::string(errors::kSyntax);
  return check_keys(a.subspan(1, 1));
}

// As Redis, the expiry value is checked only when the key exists.
Reply apply_getex(ApplyContext& c, Args a) {
  const StringOptions options =
      parse_string_options(a.subspan(2), OptionsOf::kGetex).value_or(StringOptions{});
  const auto old = c.live(a[1]);
  if (!old) return Reply::null();
  std::string payload(old->payload);
  if (options.expiry) {
    auto deadline = option_deadline(*options.expiry, c.now_ms, "getex");
    if (auto* error = std::get_if<std::string>(&deadline)) return Reply::error(std::move(*error));
    put_until(c, a[1], payload, std::get<std::int64_t>(deadline));
  } else if (options.persist && old->expires_at_ms != 0) {
    c.put(a[1], payload);
  }
  return Reply::bulk(std::move(payload));
}

Reply apply_setnx(ApplyContext& c, Args a) {
  if (c.live(a[1])) return Reply::number(0);
  c.put(a[1], a[2]);
  return Reply::number(1);
}

Reply apply_getset(ApplyContext& c, Args a) {
  auto old = copy_payload(c, a[1]);
  c.put(a[1], a[2]);
  return old ? Reply::bulk(std::move(*old)) : Reply::null();
}

Reply apply_getdel(ApplyContext& c, Args a) {
  auto old = copy_payload(c, a[1]);
  if (!old) return Reply::null();
  c.erase(a[1]);
  return Reply::bulk(std::move(*old));
}

Reply apply_append(ApplyContext& c, Args a) {
  const auto old = c.live(a[1]);
  const std::size_t old_size = old ? old->payload.size() : 0;
  if (old_size + a[2].size() > c.max_value_bytes) {
    return Reply::error(std::string(errors::kStringTooLong));
  }
  std::string value = old ? std::string(old->payload) : std::string();
  value.append(a[2]);
  c.put(a[1], value, old ? old->expires_at_ms : 0);  // APPEND keeps the TTL
  return Reply::number(static_cast<std::int64_t>(value.size()));
}

// ---- SETRANGE ----

std::optional<std::string> validate_setrange(Args a) {
  if (auto error = key_error(a[1])) return error;
  const auto offset = parse_int64(a[2]);
  if (!offset) return std::string(errors::kNotInteger);
  if (*offset < 0) return std::string("ERR offset is out of range");
  return std::nullopt;
}

// Writes the patch at the offset, padding with zero bytes, and replies the new length. An
// empty patch changes nothing (and creates no key), whatever the offset.
Reply apply_setrange(ApplyContext& c, Args a) {
  const auto offset = static_cast<std::uint64_t>(*parse_int64(a[2]));
  const std::string_view patch = a[3];
  const auto old = c.live(a[1]);
  const std::size_t old_size = old ? old->payload.size() : 0;
  if (patch.empty()) return Reply::number(static_cast<std::int64_t>(old_size));
  if (patch.size() > c.max_value_bytes || offset > c.max_value_bytes - patch.size()) {
    return Reply::error(std::string(errors::kStringTooLong));
  }
  std::string value = old ? std::string(old->payload) : std::string();
  if (value.size() < offset + patch.size()) value.resize(offset + patch.size(), '\0');
  value.replace(offset, patch.size(), patch);
  c.put(a[1], value, old ? old->expires_at_ms : 0);  // SETRANGE keeps the TTL
  return Reply::number(static_cast<std::int64_t>(value.size()));
}

// ---- counters ----

Reply add_to_counter(ApplyContext& c, std::string_view key, std::int64_t delta) {
  const auto old = c.live(key);
  std::int64_t current = 0;
  if (old) {
    const auto parsed = parse_int64(old->payload);
    if (!parsed) return Reply::error(std::string(errors::kNotInteger));
    current = *parsed;
  }
  if ((delta > 0 && current > std::numeric_limits<std::int64_t>::max() - delta) ||
      (delta < 0 && current < std::numeric_limits<std::int64_t>::min() - delta)) {
    return Reply::error(std::string(errors::kOverflow));
  }
  const std::int64_t updated = current + delta;
  c.put(key, std::to_string(updated), old ? old->expires_at_ms : 0);
  return Reply::number(updated);
}

std::optional<std::string> validate_increment(Args a) {
  if (auto error = check_keys(a.subspan(1, 1))) return error;
  if (!parse_int64(a[2])) return std::string(errors::kNotInteger);
  return std::nullopt;
}

std::optional<std::string> validate_decrement(Args a) {
  if (auto error = validate_increment(a)) return error;
  if (*parse_int64(a[2]) == std::numeric_limits<std::int64_t>::min()) {
    return std::string("ERR decrement would overflow");
  }
  return std::nullopt;
}

Reply apply_incr(ApplyContext& c, Args a) { return add_to_counter(c, a[1], 1); }
Reply apply_decr(ApplyContext& c, Args a) { return add_to_counter(c, a[1], -1); }
Reply apply_incrby(ApplyContext& c, Args a) { return add_to_counter(c, a[1], *parse_int64(a[2])); }
Reply apply_decrby(ApplyContext& c, Args a) {
  return add_to_counter(c, a[1], -*parse_int64(a[2]));
}

// ---- INCRBYFLOAT ----

constexpr std::string_view kNotFloat = "ERR value is not a valid float";

// Redis's longest float text (MAX_LONG_DOUBLE_CHARS): room for any long double in %.17Lf.
constexpr std::size_t kMaxFloatChars = 5 * 1024;

// A long double as Redis reads one (string2ld): the whole text, no leading space, not NaN,
// and not out of range (an overflow or an underflow to zero).
std::optional<long double> parse_long_double(std::string_view text) {
  if (text.empty() || text.size() >= kMaxFloatChars) return std::nullopt;
  const std::string terminated(text);
  if (std::isspace(static_cast<unsigned char>(terminated[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long double value = std::strtold(terminated.c_str(), &end);
  const bool out_of_range = errno == ERANGE && (std::isinf(value) || value == 0);
  if (end != terminated.c_str() + terminated.size() || out_of_range || errno == EINVAL ||
      std::isnan(value)) {
    return std::nullopt;
  }
  return value;
}

// As Redis stores a float result: 17 decimals, trailing zeros (and a bare point) dropped,
// and "-0" written "0".
std::string format_long_double(long double value) {
  std::array<char, kMaxFloatChars> buffer{};
  const int written = std::snprintf(buffer.data(), buffer.size(), "%.17Lf", value);
  std::string text(buffer.data(), static_cast<std::size_t>(written));
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
  }
  return text == "-0" ? "0" : text;
}

std::optional<std::string> validate_incrbyfloat(Args a) {
  if (auto error = key_error(a[1])) return error;
  if (!parse_long_double(a[2])) return std::string(kNotFloat);
  return std::nullopt;
}

Reply apply_incrbyfloat(ApplyContext& c, Args a) {
  const auto old = c.live(a[1]);
  const auto current = old ? parse_long_double(old->payload) : std::optional<long double>(0);
  if (!current) return Reply::error(std::string(kNotFloat));
  const long double updated = *current + *parse_long_double(a[2]);
  if (std::isnan(updated) || std::isinf(updated)) {
    return Reply::error("ERR increment would produce NaN or Infinity");
  }
  std::string text = format_long_double(updated);
  c.put(a[1], text, old ? old->expires_at_ms : 0);  // keeps the TTL, as INCR
  return Reply::bulk(std::move(text));
}

// ---- MSET MSETNX ----

// Key value pairs: an argument count that leaves a key without its value is, as in Redis,
// a wrong-arity error.
std::optional<std::string> validate_pairs(Args a, std::string_view command_name) {
  if (a.size() % 2 == 0) return errors::wrong_arity(command_name);
  return check_keys(a.subspan(1), 2);
}

std::optional<std::string> validate_mset(Args a) {
  return validate_pairs(a, "mset");
}
std::optional<std::string> validate_msetnx(Args a) {
  return validate_pairs(a, "msetnx");
}

void put_pairs(ApplyContext& c, Args a) {
  for (std::size_t i = 1; i + 1 < a.size(); i += 2) c.put(a[i], a[i + 1]);
}

Reply apply_mset(ApplyContext& c, Args a) {
  put_pairs(c, a);
  return Reply::ok();
}

// All or nothing: 0 and no change when any of the keys exists.
Reply apply_msetnx(ApplyContext& c, Args a) {
  for (std::size_t i = 1; i + 1 < a.size(); i += 2) {
    if (c.live(a[i])) return Reply::number(0);
  }
  put_pairs(c, a);
  return Reply::number(1);
}

constexpr CommandSpec kStringCommands[] = {
    keyspace_read("string", "get", 2, kOneKey, "1.0.0", "Returns the string value of a key.",
                  exec_get),
    keyspace_read("string", "strlen", 2, kOneKey, "2.2.0", "Returns the length of a string value.",
                  exec_strlen),
    keyspace_read("string", "mget", -2, kEveryArgumentKey, "1.0.0",
                  "Atomically returns the string values of one or more keys.", exec_mget),
    keyspace_read("string", "getrange", 4, kOneKey, "2.4.0",
                  "Returns a substring of the string stored at a key.", exec_getrange),
    keyspace_read("string", "substr", 4, kOneKey, "1.0.0",
                  "Returns a substring from a string value.", exec_getrange),
    keyspace_read("string", "lcs", -3, kFirstTwoKeys, "7.0.0",
                  "Finds the longest common substring.", exec_lcs),
    with_access_option(keyspace_write("string", "set", -3, Access::kWrite, kOneKey, "1.0.0",
                                      "Sets the string value of a key, ignoring its type.",
                                      validate_set, apply_set),
                       {.name = "get", .from = 3, .access = Access::kReadWrite}),
    keyspace_write("string", "setnx", 3, Access::kWrite, kOneKey, "1.0.0",
                   "Set the string value of a key only when the key doesn't exist.",
                   validate_first_key, apply_setnx),
    keyspace_write("string", "setex", 4, Access::kWrite, kOneKey, "2.0.0",
                   "Sets the string value and expiration time of a key. Creates the key if it "
                   "doesn't exist.",
                   validate_setex<TimeUnit::kSeconds>, apply_setex<TimeUnit::kSeconds>),
    keyspace_write("string", "psetex", 4, Access::kWrite, kOneKey, "2.6.0",
                   "Sets both string value and expiration time in milliseconds of a key. The key "
                   "is created if it doesn't exist.",
                   validate_setex<TimeUnit::kMilliseconds>, apply_setex<TimeUnit::kMilliseconds>),
    keyspace_write("string", "getex", -2, Access::kReadWrite, kOneKey, "6.2.0",
                   "Returns the string value of a key after setting its expiration time.",
                   validate_getex, apply_getex),
    keyspace_write("string", "getset", 3, Access::kReadWrite, kOneKey, "1.0.0",
                   "Returns the previous string value of a key after setting it to a new value.",
                   validate_first_key, apply_getset),
    keyspace_write("string", "getdel", 2, Access::kReadWrite, kOneKey, "6.2.0",
                   "Returns the string value of a key after deleting the key.", validate_first_key,
                   apply_getdel),
    keyspace_write("string", "append", 3, Access::kWrite, kOneKey, "2.0.0",
                   "Appends a string to the value of a key. Creates the key if it doesn't exist.",
                   validate_first_key, apply_append),
    keyspace_write("string", "setrange", 4, Access::kWrite, kOneKey, "2.2.0",
                   "Overwrites a part of a string value with another by an offset. Creates the "
                   "key if it doesn't exist.",
                   validate_setrange, apply_setrange),
    keyspace_write("string", "incr", 2, Access::kReadWrite, kOneKey, "1.0.0",
                   "Increments the integer value of a key by one.", validate_first_key, apply_incr),
    keyspace_write("string", "decr", 2, Access::kReadWrite, kOneKey, "1.0.0",
                   "Decrements the integer value of a key by one.", validate_first_key, apply_decr),
    keyspace_write("string", "incrby", 3, Access::kReadWrite, kOneKey, "1.0.0",
                   "Increments the integer value of a key by a number.", validate_increment,
                   apply_incrby),
    keyspace_write("string", "decrby", 3, Access::kReadWrite, kOneKey, "1.0.0",
                   "Decrements a number from the integer value of a key.", validate_decrement,
                   apply_decrby),
    keyspace_write("string", "incrbyfloat", 3, Access::kReadWrite, kOneKey, "2.6.0",
                   "Increment the floating point value of a key by a number. Uses 0 as initial "
                   "value if the key doesn't exist.",
                   validate_incrbyfloat, apply_incrbyfloat),
    keyspace_write("string", "mset", -3, Access::kWrite, kKeyValuePairs, "1.0.1",
                   "Atomically creates or modifies the string values of one or more keys.",
                   validate_mset, apply_mset),
    keyspace_write("string", "msetnx", -3, Access::kWrite, kKeyValuePairs, "1.0.1",
                   "Atomically modifies the string values of one or more keys only when all keys "
                   "don't exist.",
                   validate_msetnx, apply_msetnx),
};

}  // namespace

std::span<const CommandSpec> string_commands() { return kStringCommands; }

}  // namespace keepdb::commands
