// The option schema and its parser (see options.h).
#include "plugins/ratelimit/options.h"

#include <keepdb/plugin_sdk.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <stdexcept>

namespace keepdb::ratelimit {
namespace {

using kdb::sdk::option;

constexpr std::uint64_t kNsPerMs = 1'000'000;
constexpr std::uint64_t kMaxMs = 365ULL * 24 * 3600 * 1000;  // a year
constexpr std::size_t kMaxTracked = 10'000'000;
constexpr double kMaxRate = 1e9;  // one unit per nanosecond
constexpr std::uint32_t kMaxCost = 1'000'000;
constexpr std::size_t kMaxCommandName = 64;

constexpr kdb_option_spec kOptions[] = {
    option("connections_per_ip", "concurrent connections from one address (0: no limit)", 0),
    option("new_connections_per_ip_per_second",
           "new connections per second from one address (decimal; 0: no limit)", 0),
    option("new_connections_burst_per_ip",
           "new connections one address may open at once (default: the rate, at least 1)", 0),
    option("commands_per_second_per_connection",
           "command cost units per second on one connection (decimal; 0: no limit)", 0),
    option("commands_burst_per_connection",
           "command cost units one connection may spend at once (default: the rate, at least 1)",
           0),
    option("commands_per_second_per_principal",
           "command cost units per second for one authenticated principal across its "
           "connections (decimal; 0: no limit)",
           0),
    option("commands_burst_per_principal",
           "command cost units one principal may spend at once (default: the rate, at least 1)", 0),
    option("bytes_per_second_per_connection",
           "request bytes per second on one connection (decimal; 0: no limit)", 0),
    option("bytes_burst_per_connection",
           "request bytes one connection may send at once (default: the rate, at least 1)", 0),
    option("command_costs",
           "comma-separated name=cost pairs, e.g. \"scan=10,keys=100,flushdb=1000\" (0 to "
           "1000000; a cost of 0 exempts the command)",
           0),
    option("default_command_cost", "cost of a command command_costs does not name (default 1)", 0),
    option("auth_failure_limit",
           "failed authentications from one address within the window that ban it (0: never)", 0),
    option("auth_failure_window_ms", "window for counting failed authentications (default 60000)",
           0),
    option("ban_ms", "length of a first ban; each repeat offence doubles it (default 60000)", 0),
    option("ban_max_ms", "longest ban (default 3600000)", 0),
    option("ban_memory_ms",
           "how long after a ban ends a new offence still doubles it (default 86400000)", 0),
    option("allow",
           "comma-separated addresses and CIDR ranges never limited or banned, e.g. "
           "\"127.0.0.1, 10.0.0.0/8, ::1\"",
           0),
    option("ipv6_prefix",
           "IPv6 clients are tracked and banned per prefix of this many bits (1 to 128, "
           "default 64)",
           0),
    option("max_tracked_ips",
           "addresses tracked at once; the least recently seen idle one is "
           "forgotten first (default 100000)",
           0),
    option("max_tracked_principals",
           "principals tracked at once, least recently seen forgotten first (default 100000)", 0),
    option("max_tracked_connections",
           "connections tracked at once; a connection past it is refused (default 100000)", 0),
    option("max_bans",
           "bans and remembered offences kept at once; never evicted before they "
           "end (default 100000)",
           0),
    option("ban_table",
           "name of the process-wide ban table: instances with the same name share bans, and a "
           "reload keeps them (default \"default\")",
           0),
    option("stats_interval_ms",
           "how often the denial counters are logged when they changed (default 60000; 0: never)",
           0),
};

// Reads options by key and remembers which were consumed.
class Reader {
 public:
  explicit Reader(std::span<const std::pair<std::string_view, std::string_view>> options)
      : options_(options) {
    for (const auto& [key, value] : options_) {
      const auto known = option_schema();
      if (std::none_of(known.begin(), known.end(),
                       [&](const kdb_option_spec& spec) { return key == spec.key; })) {
        throw std::invalid_argument("unknown option '" + std::string(key) + "'");
      }
    }
  }

  std::optional<std::string_view> text(std::string_view key) const {
    std::optional<std::string_view> found;
    for (const auto& [k, value] : options_) {
      if (k != key) continue;
      if (found) throw std::invalid_argument("option '" + std::string(key) + "' given twice");
      found = value;
    }
    return found;
  }

  std::uint64_t count(std::string_view key, std::uint64_t fallback, std::uint64_t min,
                      std::uint64_t max) const {
    const auto value = text(key);
    if (!value) return fallback;
    std::uint64_t parsed = 0;
    const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), parsed);
    if (error != std::errc() || end != value->data() + value->size() || parsed < min ||
        parsed > max) {
      throw std::invalid_argument("option '" + std::string(key) + "' must be a whole number from " +
                                  std::to_string(min) + " to " + std::to_string(max) + ", not '" +
                                  shown(*value) + "'");
    }
    return parsed;
  }

  std::uint64_t millis(std::string_view key, std::uint64_t fallback_ns, std::uint64_t min) const {
    return count(key, fallback_ns / kNsPerMs, min, kMaxMs) * kNsPerMs;
  }

  // A rate option and its burst option as one limit; rate 0 (the default) leaves it off.
  GcraLimit limit(std::string_view rate_key, std::string_view burst_key) const {
    const auto value = text(rate_key);
    double rate = 0;
    if (value) {
      const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), rate);
      if (error != std::errc() || end != value->data() + value->size() || !std::isfinite(rate) ||
          rate < 0 || rate > kMaxRate) {
        throw std::invalid_argument("option '" + std::string(rate_key) +
                                    "' must be a number from 0 to 1e9, not '" + shown(*value) +
                                    "'");
      }
    }
    if (rate == 0) {
      if (text(burst_key)) {
        throw std::invalid_argument("option '" + std::string(burst_key) + "' needs '" +
                                    std::string(rate_key) + "' above 0");
      }
      return {};
    }
    const auto default_burst = static_cast<std::uint64_t>(std::max(1.0, std::ceil(rate)));
    return GcraLimit{static_cast<std::uint64_t>(std::max(1.0, std::round(1e9 / rate))),
                     count(burst_key, default_burst, 1, 1ULL << 40)};
  }

 private:
  // A value as shown in a message: values here are never secrets, but keep lines short.
  static std::string shown(std::string_view value) {
    return std::string(value.substr(0, 64)) + (value.size() > 64 ? "..." : "");
  }

  std::span<const std::pair<std::string_view, std::string_view>> options_;
};

bool command_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '|' || c == '_';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::span<const kdb_option_spec> option_schema() {
  return kOptions;
}

CostTable CostTable::parse(std::string_view list, std::uint32_t default_cost) {
  CostTable table;
  table.default_cost_ = default_cost;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view entry = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    entry.remove_prefix(std::min(entry.find_first_not_of(' '), entry.size()));
    entry = entry.substr(0, entry.find_last_not_of(' ') + 1);
    if (entry.empty()) continue;
    const auto equals = entry.find('=');
    std::string name(entry.substr(0, equals));
    std::transform(name.begin(), name.end(), name.begin(), lower);
    std::uint32_t cost = 0;
    const std::string_view number =
        equals == std::string_view::npos ? std::string_view() : entry.substr(equals + 1);
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), cost);
    if (name.empty() || name.size() > kMaxCommandName ||
        !std::all_of(name.begin(), name.end(), command_char) || number.empty() ||
        error != std::errc() || end != number.data() + number.size() || cost > kMaxCost) {
      throw std::invalid_argument("option 'command_costs': '" + std::string(entry.substr(0, 80)) +
                                  "' is not name=cost with a cost from 0 to 1000000");
    }
    if (!table.costs_.emplace(std::move(name), cost).second) {
      throw std::invalid_argument("option 'command_costs' names '" +
                                  std::string(entry.substr(0, equals)) + "' twice");
    }
  }
  return table;
}

std::uint32_t CostTable::cost(std::string_view command) const {
  if (costs_.empty() || command.size() > kMaxCommandName) return default_cost_;
  char name[kMaxCommandName];
  std::transform(command.begin(), command.end(), name, lower);
  const auto found = costs_.find(std::string_view(name, command.size()));
  return found == costs_.end() ? default_cost_ : found->second;
}

Config parse_config(std::span<const std::pair<std::string_view, std::string_view>> options) {
  const Reader read(options);
  Config config;
  config.connections_per_ip =
      static_cast<std::uint32_t>(read.count("connections_per_ip", 0, 0, 1'000'000));
  config.new_connections_per_ip =
      read.limit("new_connections_per_ip_per_second", "new_connections_burst_per_ip");
  config.commands_per_connection =
      read.limit("commands_per_second_per_connection", "commands_burst_per_connection");
  config.commands_per_principal =
      read.limit("commands_per_second_per_principal", "commands_burst_per_principal");
  config.bytes_per_connection =
      read.limit("bytes_per_second_per_connection", "bytes_burst_per_connection");
  config.costs = CostTable::parse(
      read.text("command_costs").value_or(""),
      static_cast<std::uint32_t>(read.count("default_command_cost", 1, 0, kMaxCost)));

  config.auth_failure_limit =
      static_cast<std::uint32_t>(read.count("auth_failure_limit", 0, 0, 1'000'000));
  config.auth_failure_window_ns =
      read.millis("auth_failure_window_ms", config.auth_failure_window_ns, 1);
  config.ban_ns = read.millis("ban_ms", config.ban_ns, 1);
  config.ban_max_ns = read.millis("ban_max_ms", std::max(config.ban_max_ns, config.ban_ns), 1);
  if (config.ban_max_ns < config.ban_ns) {
    throw std::invalid_argument("option 'ban_max_ms' must be at least 'ban_ms'");
  }
  config.ban_memory_ns = read.millis("ban_memory_ms", config.ban_memory_ns, 0);

  config.allow = AllowList::parse(read.text("allow").value_or(""));
  config.ipv6_prefix = static_cast<unsigned>(read.count("ipv6_prefix", 64, 1, 128));

  config.max_tracked_ips = read.count("max_tracked_ips", config.max_tracked_ips, 1, kMaxTracked);
  config.max_tracked_principals =
      read.count("max_tracked_principals", config.max_tracked_principals, 1, kMaxTracked);
  config.max_tracked_connections =
      read.count("max_tracked_connections", config.max_tracked_connections, 1, kMaxTracked);
  config.max_bans = read.count("max_bans", config.max_bans, 1, kMaxTracked);
  if (const auto name = read.text("ban_table")) {
    if (name->empty() || name->size() > 64) {
      throw std::invalid_argument("option 'ban_table' must be 1 to 64 characters");
    }
    config.ban_table = std::string(*name);
  }
  config.stats_interval_ns = read.millis("stats_interval_ms", config.stats_interval_ns, 0);
  return config;
}

}  // namespace keepdb::ratelimit
