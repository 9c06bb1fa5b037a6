// The table of authentications a plugin answered with KDB_PENDING, keyed by ticket, so
// that host->auth_complete (called later, from any thread) reaches the waiting chain.
//
// Thread-safety: every member is thread-safe. Lifetime: one table per process
// (pending_auths()), because tickets outlive any single chain or plugin instance.
#pragma once

#include <keepdb/plugin.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace keepdb::plugin_host {

// A copy of what a plugin reported through auth_complete; its strings are host-owned.
struct PluginAuthResult {
  kdb_status status = KDB_E_INTERNAL;
  std::string principal;
  std::uint32_t roles = 0;
  std::uint64_t expires_unix_s = 0;
  std::string error;
};

class PendingAuths {
 public:
  using Completion = std::function<void(const PluginAuthResult&)>;

  // A ticket never handed out before in this process (never 0).
  std::uint64_t next_ticket();
  // Registers what to run when `ticket` completes.
  void expect(std::uint64_t ticket, Completion completion);
  // Removes and returns the completion for `ticket`; empty when none is registered
  // (already completed, forgotten, or never pending).
  Completion take(std::uint64_t ticket);
  // Drops a ticket whose answer is no longer wanted (deadline passed, chain finished).
  void forget(std::uint64_t ticket);

 private:
  std::mutex mutex_;
  std::uint64_t last_ticket_ = 0;
  std::unordered_map<std::uint64_t, Completion> waiting_;
};

PendingAuths& pending_auths();

}  // namespace keepdb::plugin_host
