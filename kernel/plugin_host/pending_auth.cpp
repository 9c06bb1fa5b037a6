// The process-wide ticket table behind host->auth_complete.
#include "kernel/plugin_host/pending_auth.h"

#include <utility>

namespace keepdb::plugin_host {

std::uint64_t PendingAuths::open_ticket() {
  const std::lock_guard lock(mutex_);
  const std::uint64_t ticket = ++last_ticket_;
  open_.emplace(ticket, Completion());
  return ticket;
}

bool PendingAuths::expect(std::uint64_t ticket, Completion completion) {
  const std::lock_guard lock(mutex_);
  const auto found = open_.find(ticket);
  if (found == open_.end() || found->second) return false;
  found->second = std::move(completion);
  return true;
}

PendingAuths::Completion PendingAuths::take(std::uint64_t ticket) {
  const std::lock_guard lock(mutex_);
  const auto found = open_.find(ticket);
  if (found == open_.end() || !found->second) return {};
  Completion completion = std::move(found->second);
  open_.erase(found);
  return completion;
}

void PendingAuths::forget(std::uint64_t ticket) {
  Completion dropped;  // released after the lock: it may hold the last plugin reference
  const std::lock_guard lock(mutex_);
  const auto found = open_.find(ticket);
  if (found == open_.end()) return;
  dropped = std::move(found->second);
  open_.erase(found);
}

PendingAuths& pending_auths() {
  // Never destroyed: plugin threads may still complete tickets during process exit.
  static auto* const table = new PendingAuths;
  return *table;
}

}  // namespace keepdb::plugin_host
