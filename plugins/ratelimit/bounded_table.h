// BoundedTable: the limiter's fixed-capacity map from an identity (an address, a connection
// id, a principal name) to its state, with least-recently-used eviction and a bounded sweep.
//
// Layout: entries live in one vector reserved to the capacity at construction (so an entry
// never moves and the table never grows past it), found through an open-addressing index of
// 32-bit entry numbers, at most half full, probed linearly and compacted on erase (backward
// shift, no tombstones). Unpinned entries are on an intrusive doubly-linked LRU list; a
// pinned entry (one that must not be forgotten, such as an address with live connections)
// is off the list and never evicted. Every operation is O(1) expected; sweep() visits at
// most `budget` entries. Nothing allocates after construction except a Key's own storage
// (a long principal name, once per entry: the entry reuses its string's capacity).
//
// Memory: capacity * sizeof(Slot) + 2 * next_pow2(capacity) * 4 bytes, plus name storage.
//
// Thread-safety: none; the owner guards the table with its mutex.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "plugins/ratelimit/keyed_hash.h"

namespace keepdb::ratelimit {

// How a table hashes, compares and stores its key type; see the specializations at the end.
template <typename Key>
struct KeyTraits;

enum class SweepAction { kKeep, kErase, kUnpin };

template <typename Key, typename Value>
class BoundedTable {
 public:
  using Traits = KeyTraits<Key>;
  using View = typename Traits::View;
  using Handle = std::uint32_t;
  static constexpr Handle kNone = std::numeric_limits<Handle>::max();

  BoundedTable(std::size_t capacity, HashSeed seed)
      : seed_(seed),
        index_(index_size(capacity), kNone),
        mask_(index_.size() - 1),
        capacity_(capacity) {
    slots_.reserve(capacity);
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t evictions() const { return evictions_; }

  // The entry for `key`, or kNone. Does not change the LRU order.
  Handle find(View key) const {
    const std::uint64_t hash = Traits::hash(key, seed_);
    for (std::size_t pos = hash & mask_;; pos = (pos + 1) & mask_) {
      const Handle h = index_[pos];
      if (h == kNone) return kNone;
      if (slots_[h].hash == hash && Traits::equal(slots_[h].key, key)) return h;
    }
  }

  struct Found {
    Handle handle = kNone;  // kNone: the table is full of pinned entries
    bool fresh = false;     // true: a new entry holding a default Value
  };
  // The entry for `key`, made most recently used; created when absent, after evicting the
  // least recently used unpinned entry if the table is full.
  Found find_or_insert(View key) {
    if (const Handle h = find(key); h != kNone) {
      touch(h);
      return {h, false};
    }
    if (size_ == capacity_) {
      if (lru_tail_ == kNone) return {};
      erase(lru_tail_);
      ++evictions_;
    }
    Handle h;
    if (free_ != kNone) {
      h = free_;
      free_ = slots_[h].next;
    } else {
      h = static_cast<Handle>(slots_.size());
      slots_.emplace_back();
    }
    Slot& slot = slots_[h];
    heap_bytes_ -= Traits::heap_bytes(slot.key);
    Traits::assign(slot.key, key);
    heap_bytes_ += Traits::heap_bytes(slot.key);
    slot.value = Value{};
    slot.hash = Traits::hash(key, seed_);
    slot.used = true;
    slot.pinned = false;
    std::size_t pos = slot.hash & mask_;
    while (index_[pos] != kNone) pos = (pos + 1) & mask_;
    index_[pos] = h;
    link_front(h);
    ++size_;
    return {h, true};
  }

  Value& value(Handle h) { return slots_[h].value; }
  const Value& value(Handle h) const { return slots_[h].value; }

  // Makes an unpinned entry the most recently used.
  void touch(Handle h) {
    if (slots_[h].pinned) return;
    unlink(h);
    link_front(h);
  }

  // A pinned entry is never evicted; unpinning makes it the most recently used.
  void set_pinned(Handle h, bool pinned) {
    Slot& slot = slots_[h];
    if (slot.pinned == pinned) return;
    slot.pinned = pinned;
    if (pinned) {
      unlink(h);
    } else {
      link_front(h);
    }
  }

  void erase(Handle h) {
    Slot& slot = slots_[h];
    std::size_t hole = slot.hash & mask_;
    while (index_[hole] != h) hole = (hole + 1) & mask_;
    // Backward shift: pull later members of the probe run into the hole when their home
    // position does not lie cyclically in (hole, pos].
    for (std::size_t pos = (hole + 1) & mask_; index_[pos] != kNone; pos = (pos + 1) & mask_) {
      const std::size_t home = slots_[index_[pos]].hash & mask_;
      const bool stays = hole <= pos ? (hole < home && home <= pos) : (hole < home || home <= pos);
      if (!stays) {
        index_[hole] = index_[pos];
        hole = pos;
      }
    }
    index_[hole] = kNone;
    if (!slot.pinned) unlink(h);
    slot.used = false;
    slot.next = free_;
    free_ = h;
    --size_;
  }

  // Visits up to `budget` entries round-robin from where the last sweep stopped and applies
  // `visit(Value&, bool pinned) -> SweepAction` to each. Returns the number erased.
  template <typename Visit>
  std::size_t sweep(std::size_t budget, Visit&& visit) {
    std::size_t erased = 0;
    for (std::size_t i = 0; i < budget && !slots_.empty(); ++i) {
      if (cursor_ >= slots_.size()) cursor_ = 0;
      const Handle h = static_cast<Handle>(cursor_++);
      if (!slots_[h].used) continue;
      switch (visit(slots_[h].value, slots_[h].pinned)) {
        case SweepAction::kKeep:
          break;
        case SweepAction::kErase:
          erase(h);
          ++erased;
          break;
        case SweepAction::kUnpin:
          set_pinned(h, false);
          break;
      }
    }
    return erased;
  }

  // Bytes this table holds: reserved entries, the index and names stored outside entries
  // (an entry keeps its name's storage when erased, for reuse). O(1).
  std::size_t memory_bytes() const {
    return slots_.capacity() * sizeof(Slot) + index_.capacity() * sizeof(Handle) + heap_bytes_;
  }
  // One entry plus its two index positions (the index is at most half full).
  static constexpr std::size_t bytes_per_entry() { return sizeof(Slot) + 2 * sizeof(Handle); }

 private:
  struct Slot {
    Key key{};
    Value value{};
    std::uint64_t hash = 0;
    Handle prev = kNone;
    Handle next = kNone;  // LRU successor when used, next free entry when not
    bool used = false;
    bool pinned = false;
  };

  static std::size_t index_size(std::size_t capacity) {
    return std::bit_ceil(capacity < 4 ? std::size_t{8} : capacity * 2);
  }
  void link_front(Handle h) {
    slots_[h].prev = kNone;
    slots_[h].next = lru_head_;
    if (lru_head_ != kNone) slots_[lru_head_].prev = h;
    lru_head_ = h;
    if (lru_tail_ == kNone) lru_tail_ = h;
  }
  void unlink(Handle h) {
    Slot& slot = slots_[h];
    (slot.prev != kNone ? slots_[slot.prev].next : lru_head_) = slot.next;
    (slot.next != kNone ? slots_[slot.next].prev : lru_tail_) = slot.prev;
    slot.prev = slot.next = kNone;
  }

  HashSeed seed_;
  std::vector<Slot> slots_;
  std::vector<Handle> index_;
  std::size_t mask_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  std::size_t cursor_ = 0;
  std::size_t heap_bytes_ = 0;
  std::uint64_t evictions_ = 0;
  Handle free_ = kNone;
  Handle lru_head_ = kNone;
  Handle lru_tail_ = kNone;
};

// Fixed-size keys: the 16-byte address key and the 64-bit connection id.
template <typename Key>
struct KeyTraits {
  using View = Key;
  static std::uint64_t hash(const Key& key, const HashSeed& seed) {
    if constexpr (sizeof(Key) == sizeof(std::uint64_t)) {
      return keyed_hash(static_cast<std::uint64_t>(key), seed);
    } else {
      return keyed_hash(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
                        seed);
    }
  }
  static bool equal(const Key& stored, const Key& key) { return stored == key; }
  static void assign(Key& stored, const Key& key) { stored = key; }
  static std::size_t heap_bytes(const Key&) { return 0; }
};

// Principal names: stored as strings, looked up by view.
template <>
struct KeyTraits<std::string> {
  using View = std::string_view;
  static std::uint64_t hash(std::string_view key, const HashSeed& seed) {
    return keyed_hash(key, seed);
  }
  static bool equal(const std::string& stored, std::string_view key) { return stored == key; }
  static void assign(std::string& stored, std::string_view key) { stored.assign(key); }
  static std::size_t heap_bytes(const std::string& key) {
    return key.capacity() > std::string().capacity() ? key.capacity() + 1 : 0;
  }
};

}  // namespace keepdb::ratelimit
