// The limiter's decisions (see limiter.h).
#include "plugins/ratelimit/limiter.h"

#include <algorithm>
#include <limits>

namespace keepdb::ratelimit {
namespace {

constexpr std::uint64_t kNsPerMs = 1'000'000;

std::uint32_t to_retry_ms(std::uint64_t ns) {
  if (ns == 0) return 0;
  const std::uint64_t ms = ns / kNsPerMs + (ns % kNsPerMs != 0 ? 1 : 0);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(ms, UINT32_MAX));
}

}  // namespace

std::string_view reason_name(Reason reason) {
  static constexpr std::array<std::string_view, kReasons> kNames = {"banned",
                                                                    "connections_per_ip",
                                                                    "new_connections_per_ip",
                                                                    "commands_per_connection",
                                                                    "commands_per_principal",
                                                                    "bytes_per_connection",
                                                                    "capacity"};
  return kNames[static_cast<std::size_t>(reason)];
}

std::string_view denial_text(Reason reason) {
  static constexpr std::array<std::string_view, kReasons> kTexts = {
      "address banned after failed authentications (banned)",
      "too many connections from this address (connections_per_ip)",
      "too many new connections from this address (new_connections_per_ip)",
      "rate limit exceeded (commands_per_connection)",
      "rate limit exceeded (commands_per_principal)",
      "rate limit exceeded (bytes_per_connection)",
      "rate limiter tracking tables are full (capacity)"};
  return kTexts[static_cast<std::size_t>(reason)];
}

Limiter::Limiter(Config config, HashSeed seed, Log log)
    : config_(std::move(config)),
      ban_policy_{config_.ban_ns, config_.ban_max_ns, config_.ban_memory_ns},
      log_(std::move(log)),
      connections_(config_.max_tracked_connections, seed),
      ips_(config_.max_tracked_ips, seed),
      principals_(config_.max_tracked_principals, seed) {
  std::size_t capacity = 0;
  bans_ = BanTable::shared(config_.ban_table, config_.max_bans, seed, &capacity);
  if (capacity != config_.max_bans && log_) {
    log_(KDB_LOG_WARN, "ban table '" + config_.ban_table +
                           "' is shared with a live instance and "
                           "keeps its max_bans of " +
                           std::to_string(capacity) +
                           "; the new value applies once no instance uses the table");
  }
}

std::size_t Limiter::bytes_per_ip() {
  return decltype(ips_)::bytes_per_entry();
}
std::size_t Limiter::bytes_per_connection() {
  return decltype(connections_)::bytes_per_entry();
}
std::size_t Limiter::bytes_per_principal() {
  return decltype(principals_)::bytes_per_entry();
}

Limiter::Peer Limiter::resolve(std::string_view peer_addr) const {
  const auto address = parse_address(peer_addr);
  if (!address) return {};
  return {config_.allow.contains(*address), true, key_of(*address, config_.ipv6_prefix)};
}

bool Limiter::ip_limits() const {
  return config_.connections_per_ip != 0 || config_.new_connections_per_ip.enabled();
}

Decision Limiter::deny(Reason reason, std::uint64_t retry_ns) {
  denials_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  return {false, to_retry_ms(retry_ns), reason};
}

Decision Limiter::check(const Event& event, std::uint64_t now_ns) {
  switch (event.kind) {
    case KDB_ADM_CONNECT:
      return on_connect(event, now_ns);
    case KDB_ADM_AUTH_OK:
      return on_auth(event, now_ns, false);
    case KDB_ADM_AUTH_FAIL:
      return on_auth(event, now_ns, true);
    case KDB_ADM_COMMAND:
      return on_command(event, now_ns);
    case KDB_ADM_DISCONNECT:
      on_disconnect(event);
      return {};
    default:
      return {};  // an event newer than this plugin: nothing to limit
  }
}

Decision Limiter::on_connect(const Event& event, std::uint64_t now) {
  const Peer peer = resolve(event.peer_addr);
  if (!peer.allowed && peer.has_key) {
    if (const std::uint64_t left = bans_->remaining_ns(peer.key, now)) {
      return deny(Reason::kBanned, left);
    }
  }
  const std::lock_guard lock(mutex_);
  auto ip = BoundedTable<IpKey, IpState>::kNone;
  if (!peer.allowed && peer.has_key && ip_limits()) {
    ip = ips_.find_or_insert(peer.key).handle;
    if (ip == ips_.kNone) return deny(Reason::kCapacity, 0);
    const IpState& state = ips_.value(ip);
    if (config_.connections_per_ip != 0 && state.connections >= config_.connections_per_ip) {
      return deny(Reason::kConnectionsPerIp, 0);
    }
    const GcraResult rate = state.new_connections.peek(config_.new_connections_per_ip, now, 1);
    if (!rate.admitted) return deny(Reason::kNewConnectionsPerIp, rate.retry_after_ns);
  }
  const auto conn = connections_.find_or_insert(event.conn_id);
  if (conn.handle == connections_.kNone) {
    // Full of open connections: an allow-listed one is admitted untracked (its commands
    // resolve the allow-list again), any other is refused.
    return peer.allowed ? Decision{} : deny(Reason::kCapacity, 0);
  }
  ConnState& state = connections_.value(conn.handle);
  if (!conn.fresh && state.counted) return {};  // a repeated connect: already counted
  state = ConnState{peer.key, peer.has_key, peer.allowed, ip != ips_.kNone, {}, {}};
  connections_.set_pinned(conn.handle, true);
  if (ip != ips_.kNone) {
    IpState& address = ips_.value(ip);
    ++address.connections;
    address.new_connections.take(config_.new_connections_per_ip, now, 1);
    ips_.set_pinned(ip, true);
  }
  return {};
}

Decision Limiter::on_auth(const Event& event, std::uint64_t now, bool failed) {
  const Peer peer = resolve(event.peer_addr);
  if (peer.allowed || !peer.has_key) return {};
  if (failed && config_.auth_failure_limit != 0) {
    bool offence = false;
    {
      const std::lock_guard lock(mutex_);
      const auto ip = ips_.find_or_insert(peer.key).handle;
      if (ip != ips_.kNone) {
        IpState& state = ips_.value(ip);
        if (state.failures == 0 || now - state.window_start_ns >= config_.auth_failure_window_ns) {
          state.failures = 0;
          state.window_start_ns = now;
        }
        offence = ++state.failures >= config_.auth_failure_limit;
        if (offence) state.failures = 0;
      }
    }
    if (offence) {
      const std::uint64_t length = bans_->ban(peer.key, now, ban_policy_);
      (length != 0 ? bans_issued_ : bans_refused_).fetch_add(1, std::memory_order_relaxed);
    }
  }
  // A ban in progress stands, whatever the outcome of this authentication.
  if (const std::uint64_t left = bans_->remaining_ns(peer.key, now)) {
    return deny(Reason::kBanned, left);
  }
  return {};
}

Decision Limiter::on_command(const Event& event, std::uint64_t now) {
  const std::lock_guard lock(mutex_);
  auto conn = connections_.find(event.conn_id);
  if (conn == connections_.kNone) {
    // A connection opened before this instance existed (a reload): tracked from now on,
    // unpinned, since its connect was counted by the instance this one replaced.
    const Peer peer = resolve(event.peer_addr);
    conn = connections_.find_or_insert(event.conn_id).handle;
    if (conn == connections_.kNone) {
      return peer.allowed ? Decision{} : deny(Reason::kCapacity, 0);
    }
    connections_.value(conn) = ConnState{peer.key, peer.has_key, peer.allowed, false, {}, {}};
  } else {
    connections_.touch(conn);
  }
  ConnState& state = connections_.value(conn);
  if (state.allowed) return {};
  if (state.has_ip) {
    if (const std::uint64_t left = bans_->remaining_ns(state.ip, now)) {
      return deny(Reason::kBanned, left);
    }
  }

  const std::uint32_t cost = config_.costs.cost(event.command);
  // Every limit is asked before any is charged, so a refused command costs nothing; the
  // retry hint is the longest wait among the limits that refused.
  Decision decision;
  std::uint64_t wait = 0;
  const auto ask = [&](const GcraLimit& limit, const Gcra& bucket, std::uint64_t units,
                       Reason reason) {
    if (!limit.enabled()) return;
    const GcraResult result = bucket.peek(limit, now, units);
    if (result.admitted) return;
    if (decision.admitted) decision = {false, 0, reason};
    wait = std::max(wait, result.retry_after_ns);
  };
  const bool charged = cost != 0;
  if (charged)
    ask(config_.commands_per_connection, state.commands, cost, Reason::kCommandsPerConnection);
  ask(config_.bytes_per_connection, state.bytes, event.request_bytes, Reason::kBytesPerConnection);
  auto principal = principals_.kNone;
  if (charged && !event.principal.empty() && config_.commands_per_principal.enabled()) {
    principal = principals_.find_or_insert(event.principal).handle;
    ask(config_.commands_per_principal, principals_.value(principal).commands, cost,
        Reason::kCommandsPerPrincipal);
  }
  if (!decision.admitted) return deny(decision.reason, wait);

  if (charged && config_.commands_per_connection.enabled()) {
    state.commands.take(config_.commands_per_connection, now, cost);
  }
  if (config_.bytes_per_connection.enabled()) {
    state.bytes.take(config_.bytes_per_connection, now, event.request_bytes);
  }
  if (principal != principals_.kNone) {
    principals_.value(principal).commands.take(config_.commands_per_principal, now, cost);
  }
  return {};
}

void Limiter::on_disconnect(const Event& event) {
  const std::lock_guard lock(mutex_);
  const auto conn = connections_.find(event.conn_id);
  if (conn == connections_.kNone) return;
  const ConnState& state = connections_.value(conn);
  if (state.counted) {
    const auto ip = ips_.find(state.ip);
    if (ip != ips_.kNone && ips_.value(ip).connections > 0) {
      if (--ips_.value(ip).connections == 0) ips_.set_pinned(ip, false);
    }
  }
  connections_.erase(conn);
}

void Limiter::tick(std::uint64_t now_ns) {
  {
    const std::lock_guard lock(mutex_);
    // Forgetting a full bucket loses nothing: a new entry starts full.
    connections_.sweep(kSweepBudget, [&](const ConnState& state, bool pinned) {
      return !pinned && state.commands.full(now_ns) && state.bytes.full(now_ns)
                 ? SweepAction::kErase
                 : SweepAction::kKeep;
    });
    ips_.sweep(kSweepBudget, [&](const IpState& state, bool) {
      const bool failures_over =
          state.failures == 0 || now_ns - state.window_start_ns >= config_.auth_failure_window_ns;
      return state.connections == 0 && failures_over && state.new_connections.full(now_ns)
                 ? SweepAction::kErase
                 : SweepAction::kKeep;
    });
    principals_.sweep(kSweepBudget, [&](const PrincipalState& state, bool) {
      return state.commands.full(now_ns) ? SweepAction::kErase : SweepAction::kKeep;
    });
  }
  bans_->sweep(now_ns, kSweepBudget);
  log_stats(now_ns);
}

void Limiter::log_stats(std::uint64_t now) {
  if (!log_ || config_.stats_interval_ns == 0) return;
  std::array<std::uint64_t, kReasons> denials{};
  {
    const std::lock_guard lock(mutex_);
    if (now - last_stats_ns_ < config_.stats_interval_ns) return;
    last_stats_ns_ = now;
    for (std::size_t i = 0; i < kReasons; ++i) {
      denials[i] = denials_[i].load(std::memory_order_relaxed);
    }
    if (denials == logged_denials_) return;
    logged_denials_ = denials;
  }
  const Stats now_stats = stats();
  std::string line = "denials";
  for (std::size_t i = 0; i < kReasons; ++i) {
    line += ' ';
    line += reason_name(static_cast<Reason>(i));
    line += '=' + std::to_string(denials[i]);
  }
  line += "; bans issued=" + std::to_string(now_stats.bans_issued) +
          " refused=" + std::to_string(now_stats.bans_refused) +
          " tracked=" + std::to_string(now_stats.bans) +
          "; tracked connections=" + std::to_string(now_stats.connections) +
          " ips=" + std::to_string(now_stats.ips) +
          " principals=" + std::to_string(now_stats.principals);
  log_(KDB_LOG_INFO, line);
}

Stats Limiter::stats() const {
  Stats stats;
  for (std::size_t i = 0; i < kReasons; ++i) {
    stats.denials[i] = denials_[i].load(std::memory_order_relaxed);
  }
  stats.bans_issued = bans_issued_.load(std::memory_order_relaxed);
  stats.bans_refused = bans_refused_.load(std::memory_order_relaxed);
  stats.bans = bans_->size();
  stats.memory_bytes = bans_->memory_bytes();
  const std::lock_guard lock(mutex_);
  stats.connections = connections_.size();
  stats.ips = ips_.size();
  stats.principals = principals_.size();
  stats.evicted_connections = connections_.evictions();
  stats.evicted_ips = ips_.evictions();
  stats.evicted_principals = principals_.evictions();
  stats.memory_bytes +=
      connections_.memory_bytes() + ips_.memory_bytes() + principals_.memory_bytes();
  return stats;
}

}  // namespace keepdb::ratelimit
