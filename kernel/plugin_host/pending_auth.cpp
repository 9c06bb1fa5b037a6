// The process-wide ticket table behind host->auth_complete.
#include "kernel/plugin_host/pending_auth.h"

#include <utility>

namespace keepdb::plugin_host {

std::uint64_t PendingAuths::next_ticket() {
  const std::lock_guard lock(mutex_);
  return ++last_ticket_;
}

void PendingAuths::expect(std::uint64_t ticket, Completion completion) {
  const std::lock_guard lock(mutex_);
  waiting_[ticket] = std::move(completion);
}

PendingAuths::Completion PendingAuths::take(std::uint64_t ticket) {
  const std::lock_guard lock(mutex_);
  const auto found = waiting_.find(ticket);
  if (found == waiting_.end()) return {};
  Completion completion = std::move(found->second);
  waiting_.erase(found);
  return completion;
}

void PendingAuths::forget(std::uint64_t ticket) {
  const std::lock_guard lock(mutex_);
  waiting_.erase(ticket);
}

PendingAuths& pending_auths() {
  // Never destroyed: plugin threads may still complete tickets during process exit.
  static auto* const table = new PendingAuths;
  return *table;
}

}  // namespace keepdb::plugin_host
