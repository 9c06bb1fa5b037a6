// The ratelimit plugin's configuration: the option schema the descriptor publishes and the
// parsed, validated Config that create() builds from the host's `key = value` pairs.
//
// Thread-safety: a Config is immutable once parsed; read it from any thread.
#pragma once

#include <keepdb/plugin.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "plugins/ratelimit/address.h"
#include "plugins/ratelimit/gcra.h"

namespace keepdb::ratelimit {

// The schema: every key create() accepts (also used by create() to refuse unknown keys when
// a host did not check them).
std::span<const kdb_option_spec> option_schema();

// Command costs by lower-case command name. Lookup lower-cases the name into a stack buffer.
class CostTable {
 public:
  // "scan=10, flushdb=100": names of letters, digits, '|' and '_'; costs 0 to 1,000,000.
  // Throws std::invalid_argument naming the bad entry.
  static CostTable parse(std::string_view list, std::uint32_t default_cost);
  std::uint32_t cost(std::string_view command) const;
  std::uint32_t default_cost() const { return default_cost_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> costs_;
  std::uint32_t default_cost_ = 1;
};

struct Config {
  std::uint32_t connections_per_ip = 0;  // concurrent; 0: no limit
  GcraLimit new_connections_per_ip;
  GcraLimit commands_per_connection;
  GcraLimit commands_per_principal;
  GcraLimit bytes_per_connection;
  CostTable costs;

  std::uint32_t auth_failure_limit = 0;  // failures within the window that ban; 0: never
  std::uint64_t auth_failure_window_ns = 60'000'000'000;
  std::uint64_t ban_ns = 60'000'000'000;             // first ban
  std::uint64_t ban_max_ns = 3'600'000'000'000;      // longest ban after doubling
  std::uint64_t ban_memory_ns = 86'400'000'000'000;  // how long an offence counts for doubling

  AllowList allow;
  unsigned ipv6_prefix = 64;

  std::size_t max_tracked_ips = 100'000;
  std::size_t max_tracked_principals = 100'000;
  std::size_t max_tracked_connections = 100'000;
  std::size_t max_bans = 100'000;
  std::string ban_table = "default";  // instances naming the same table share their bans
  std::uint64_t stats_interval_ns = 60'000'000'000;
};

// Parses and checks every option; throws std::invalid_argument with one line naming the key
// (an unknown key, a malformed or negative number, a bad CIDR, a burst without its rate).
Config parse_config(std::span<const std::pair<std::string_view, std::string_view>> options);

}  // namespace keepdb::ratelimit
