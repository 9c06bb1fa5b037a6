// The shared ban table (see ban_table.h).
#include "plugins/ratelimit/ban_table.h"

#include <algorithm>
#include <map>

namespace keepdb::ratelimit {
namespace {

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

// `first` doubled `offences - 1` times, at most `max`.
std::uint64_t ban_length(std::uint32_t offences, const BanPolicy& policy) {
  std::uint64_t length = policy.first_ns;
  for (std::uint32_t i = 1; i < offences && length < policy.max_ns; ++i) {
    length = length > UINT64_MAX / 2 ? UINT64_MAX : length * 2;
  }
  return std::min(length, policy.max_ns);
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<BanTable>, std::less<>> tables;
};

}  // namespace

BanTable::BanTable(std::size_t capacity, HashSeed seed) : table_(capacity, seed) {}

std::shared_ptr<BanTable> BanTable::shared(const std::string& name, std::size_t capacity,
                                           HashSeed seed, std::size_t* reused_capacity) {
  // Never destroyed: instances may outlive static destructors (plugin.h convention 8).
  static Registry* registry = new Registry;
  const std::lock_guard lock(registry->mutex);
  std::weak_ptr<BanTable>& slot = registry->tables[name];
  if (auto table = slot.lock()) {
    *reused_capacity = table->capacity();
    return table;
  }
  auto table = std::make_shared<BanTable>(capacity, seed);
  slot = table;
  *reused_capacity = capacity;
  return table;
}

std::uint64_t BanTable::remaining_ns(const IpKey& key, std::uint64_t now) const {
  if (size() == 0) return 0;
  const std::lock_guard lock(mutex_);
  const auto h = table_.find(key);
  if (h == table_.kNone) return 0;
  const Entry& entry = table_.value(h);
  return entry.until_ns > now ? entry.until_ns - now : 0;
}

std::uint64_t BanTable::ban(const IpKey& key, std::uint64_t now, const BanPolicy& policy) {
  const std::lock_guard lock(mutex_);
  const auto found = table_.find_or_insert(key);
  if (found.handle == table_.kNone) return 0;
  Entry& entry = table_.value(found.handle);
  if (entry.forget_ns <= now) entry.offences = 0;  // fresh, or the last offence is forgotten
  ++entry.offences;
  const std::uint64_t length = ban_length(entry.offences, policy);
  entry.until_ns = std::max(entry.until_ns, saturating_add(now, length));
  entry.forget_ns = saturating_add(entry.until_ns, policy.memory_ns);
  table_.set_pinned(found.handle, true);
  size_.store(table_.size(), std::memory_order_relaxed);
  return length;
}

void BanTable::sweep(std::uint64_t now, std::size_t budget) {
  const std::lock_guard lock(mutex_);
  table_.sweep(budget, [&](const Entry& entry, bool pinned) {
    if (entry.until_ns > now) return SweepAction::kKeep;
    if (entry.forget_ns <= now) return SweepAction::kErase;
    return pinned ? SweepAction::kUnpin : SweepAction::kKeep;
  });
  size_.store(table_.size(), std::memory_order_relaxed);
}

std::size_t BanTable::bytes_per_entry() {
  return decltype(table_)::bytes_per_entry();
}

std::size_t BanTable::memory_bytes() const {
  const std::lock_guard lock(mutex_);
  return table_.memory_bytes();
}

}  // namespace keepdb::ratelimit
