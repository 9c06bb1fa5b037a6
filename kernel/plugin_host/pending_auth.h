// The table of authentications a plugin answered with KDB_PENDING, keyed by ticket, so
// that host->auth_complete (called later, from any thread) reaches the waiting chain.
//
// A ticket lives from open_ticket() to forget() (or to take() once a completion is
// registered): the chain opens one before it asks an authenticator and forgets it when the
// attempt ends, so an authenticator that registers after the attempt ended (its deadline
// passed while the call was queued) is refused instead of leaving a completion, and the
// plugin instance it holds, in the table forever.
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

  // A ticket never handed out before in this process (never 0), open for one expect().
  std::uint64_t open_ticket();
  // Registers what to run when `ticket` completes. False, and nothing is kept, when the
  // ticket is no longer open (its attempt ended) or already has a completion.
  bool expect(std::uint64_t ticket, Completion completion);
  // Removes and returns the completion for `ticket`; empty when none is registered
  // (already completed, forgotten, never pending, or open without a completion yet).
  Completion take(std::uint64_t ticket);
  // Closes a ticket whose answer is no longer wanted (deadline passed, chain finished).
  void forget(std::uint64_t ticket);

 private:
  std::mutex mutex_;
  std::uint64_t last_ticket_ = 0;
  std::unordered_map<std::uint64_t, Completion> open_;  // empty Completion: not expected yet
};

PendingAuths& pending_auths();

}  // namespace keepdb::plugin_host
