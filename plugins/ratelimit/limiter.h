// Limiter: the admission decisions of the ratelimit plugin, in C++ types and on a clock the
// caller passes in (the plugin reads the host's monotonic clock; tests pass a fake one).
//
// State: connections by id (pinned while the kernel reports them open), addresses (pinned
// while they have counted connections), principals, each a BoundedTable under the limiter's
// mutex, and the shared BanTable. Every check does O(1) work under that mutex and never
// waits for anything else; tick() sweeps a bounded number of entries per table.
//
// Thread-safety: check(), tick() and stats() may be called from any thread, concurrently
// (plugin.h convention 6). The log callback is called from tick() only, without the mutex.
#pragma once

#include <keepdb/plugin.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "plugins/ratelimit/ban_table.h"
#include "plugins/ratelimit/bounded_table.h"
#include "plugins/ratelimit/options.h"

namespace keepdb::ratelimit {

// Why a request was refused; each has a counter.
enum class Reason : unsigned {
  kBanned,
  kConnectionsPerIp,
  kNewConnectionsPerIp,
  kCommandsPerConnection,
  kCommandsPerPrincipal,
  kBytesPerConnection,
  kCapacity,  // a tracking table was full of entries that must not be forgotten
};
inline constexpr std::size_t kReasons = 7;
std::string_view reason_name(Reason reason);
// The line a refused client reads after "ERR ", naming the limit:
// "rate limit exceeded (commands_per_connection)".
std::string_view denial_text(Reason reason);

// One admission query (kdb_admission_query in C++ types).
struct Event {
  std::uint32_t kind = KDB_ADM_COMMAND;  // KDB_ADM_*
  std::uint64_t conn_id = 0;
  std::string_view peer_addr;
  std::string_view principal;
  std::string_view command;
  std::uint64_t request_bytes = 0;
};

struct Decision {
  bool admitted = true;
  std::uint32_t retry_after_ms = 0;  // 0: no hint
  Reason reason = Reason::kBanned;   // meaningful when refused
};

struct Stats {
  std::array<std::uint64_t, kReasons> denials{};
  std::uint64_t bans_issued = 0;
  std::uint64_t bans_refused = 0;  // the ban table was full of active bans
  std::size_t connections = 0;
  std::size_t ips = 0;
  std::size_t principals = 0;
  std::size_t bans = 0;
  std::uint64_t evicted_ips = 0;
  std::uint64_t evicted_principals = 0;
  std::uint64_t evicted_connections = 0;
  std::size_t memory_bytes = 0;  // every table, the shared ban table included
};

class Limiter {
 public:
  using Log = std::function<void(int level, std::string_view line)>;

  // `seed` keys the tables' hashes (from the host's CSPRNG). Logs through `log` (may be
  // empty) what create() should say (a ban table shared with another capacity) and the
  // counters from tick().
  Limiter(Config config, HashSeed seed, Log log);
  Limiter(const Limiter&) = delete;
  Limiter& operator=(const Limiter&) = delete;

  Decision check(const Event& event, std::uint64_t now_ns);
  // Sweeps idle entries and ended bans; logs the counters every stats interval when they
  // changed.
  void tick(std::uint64_t now_ns);
  Stats stats() const;

  // Entries examined per table per tick.
  static constexpr std::size_t kSweepBudget = 4096;
  // Bytes per tracked identity in each table (entry plus its share of the index).
  static std::size_t bytes_per_ip();
  static std::size_t bytes_per_connection();
  static std::size_t bytes_per_principal();  // plus the name's storage past 15 bytes

 private:
  struct Peer {
    bool allowed = false;
    bool has_key = false;  // false: not an IP address (no per-address limits or bans)
    IpKey key{};
  };
  struct ConnState {
    IpKey ip{};
    bool has_ip = false;
    bool allowed = false;
    bool counted = false;  // counted in its address's connections
    Gcra commands;
    Gcra bytes;
  };
  struct IpState {
    std::uint32_t connections = 0;
    std::uint32_t failures = 0;
    std::uint64_t window_start_ns = 0;
    Gcra new_connections;
  };
  struct PrincipalState {
    Gcra commands;
  };

  Peer resolve(std::string_view peer_addr) const;
  Decision on_connect(const Event& event, std::uint64_t now);
  Decision on_auth(const Event& event, std::uint64_t now, bool failed);
  Decision on_command(const Event& event, std::uint64_t now);
  void on_disconnect(const Event& event);
  bool ip_limits() const;
  Decision deny(Reason reason, std::uint64_t retry_ns);
  void log_stats(std::uint64_t now);

  const Config config_;
  const BanPolicy ban_policy_;
  Log log_;
  std::shared_ptr<BanTable> bans_;

  mutable std::mutex mutex_;
  BoundedTable<std::uint64_t, ConnState> connections_;
  BoundedTable<IpKey, IpState> ips_;
  BoundedTable<std::string, PrincipalState> principals_;
  std::uint64_t last_stats_ns_ = 0;
  std::array<std::uint64_t, kReasons> logged_denials_{};

  std::array<std::atomic<std::uint64_t>, kReasons> denials_{};
  std::atomic<std::uint64_t> bans_issued_{0};
  std::atomic<std::uint64_t> bans_refused_{0};
};

}  // namespace keepdb::ratelimit
