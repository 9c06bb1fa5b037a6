// BanTable: the addresses banned after repeated failed authentications, and the offences
// remembered after a ban ends so the next ban doubles. An active ban is pinned in the table
// and is never evicted; only ended, remembered offences give way when the table is full. A
// table full of active bans refuses a new ban (the caller counts it).
//
// Tables are process-wide by name (shared()), so the instance a reload creates finds the
// bans of the instance it replaces (plugin.h convention 8: static data lives as long as the
// process, and the new instance is created before the old one is destroyed).
//
// Thread-safety: every member function may be called from any thread; one mutex guards the
// table, held for O(1) work (sweep: O(budget)). The limiter may call it with its own mutex
// held, never the other way round.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "plugins/ratelimit/address.h"
#include "plugins/ratelimit/bounded_table.h"

namespace keepdb::ratelimit {

struct BanPolicy {
  std::uint64_t first_ns = 0;   // first ban
  std::uint64_t max_ns = 0;     // longest ban
  std::uint64_t memory_ns = 0;  // an offence this soon after the last ban ended doubles it
};

class BanTable {
 public:
  BanTable(std::size_t capacity, HashSeed seed);

  // The table called `name`, shared by every live instance that names it; created with
  // `capacity` when no live instance holds it. A live table keeps the capacity it was
  // created with: `*reused_capacity` is set to it.
  static std::shared_ptr<BanTable> shared(const std::string& name, std::size_t capacity,
                                          HashSeed seed, std::size_t* reused_capacity);

  // Nanoseconds left of the ban on `key` at `now`, 0 when it is not banned. Lock-free when
  // the table is empty.
  std::uint64_t remaining_ns(const IpKey& key, std::uint64_t now) const;
  // Records an offence by `key` and bans it: `policy.first_ns` doubled for each remembered
  // earlier offence, at most `policy.max_ns`. Returns the ban's length, or 0 when the table
  // is full of active bans.
  std::uint64_t ban(const IpKey& key, std::uint64_t now, const BanPolicy& policy);
  // Unpins ended bans and forgets offences past their memory; visits at most `budget`.
  void sweep(std::uint64_t now, std::size_t budget);

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return table_.capacity(); }
  std::size_t memory_bytes() const;
  static std::size_t bytes_per_entry();

 private:
  struct Entry {
    std::uint64_t until_ns = 0;
    std::uint64_t forget_ns = 0;
    std::uint32_t offences = 0;
  };

  mutable std::mutex mutex_;
  BoundedTable<IpKey, Entry> table_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace keepdb::ratelimit
