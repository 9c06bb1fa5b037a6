// BoundedTable: lookups, LRU eviction, pinning, the bounded sweep, and a randomized run
// against std::map as the model (plugins/ratelimit/bounded_table.h).
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

#include "plugins/ratelimit/bounded_table.h"

namespace keepdb::ratelimit::test {
namespace {

using Table = BoundedTable<std::uint64_t, int>;

}  // namespace

TEST_CASE("ratelimit table: the least recently used unpinned entry is evicted when full",
          "[ratelimit][table]") {
  Table table(3, HashSeed{});
  for (std::uint64_t key = 1; key <= 3; ++key) table.value(table.find_or_insert(key).handle) = 10;
  table.find_or_insert(1);  // 2 is now the least recently used
  const auto fresh = table.find_or_insert(4);
  CHECK(fresh.fresh);
  CHECK(table.value(fresh.handle) == 0);
  CHECK(table.size() == 3);
  CHECK(table.evictions() == 1);
  CHECK(table.find(2) == Table::kNone);
  CHECK(table.find(1) != Table::kNone);
  CHECK(table.find(3) != Table::kNone);
}

TEST_CASE("ratelimit table: pinned entries are never evicted", "[ratelimit][table]") {
  Table table(2, HashSeed{});
  const auto a = table.find_or_insert(1).handle;
  const auto b = table.find_or_insert(2).handle;
  table.set_pinned(a, true);
  table.set_pinned(b, true);
  CHECK(table.find_or_insert(3).handle == Table::kNone);
  CHECK(table.size() == 2);
  table.set_pinned(a, false);
  CHECK(table.find_or_insert(3).handle != Table::kNone);
  CHECK(table.find(1) == Table::kNone);
  CHECK(table.find(2) != Table::kNone);
}

TEST_CASE("ratelimit table: sweep visits a bounded number of entries round-robin",
          "[ratelimit][table]") {
  Table table(100, HashSeed{});
  for (std::uint64_t key = 0; key < 100; ++key) {
    table.value(table.find_or_insert(key).handle) = static_cast<int>(key);
  }
  std::size_t visited = 0;
  const auto even = [&](int& value, bool) {
    ++visited;
    return value % 2 == 0 ? SweepAction::kErase : SweepAction::kKeep;
  };
  CHECK(table.sweep(30, even) == 15);
  CHECK(visited == 30);
  CHECK(table.sweep(70, even) == 35);
  CHECK(table.size() == 50);
  for (std::uint64_t key = 0; key < 100; ++key) {
    CHECK((table.find(key) != Table::kNone) == (key % 2 == 1));
  }
}

TEST_CASE("ratelimit table: random operations agree with a map model", "[ratelimit][table]") {
  constexpr std::size_t kCapacity = 64;
  BoundedTable<std::string, int> table(kCapacity, HashSeed{1, 2});
  std::map<std::string, int> model;
  std::mt19937 random(17);
  for (int step = 0; step < 100'000; ++step) {
    const std::string key = "principal-with-a-long-name-" + std::to_string(random() % 100);
    const auto h = table.find(key);
    REQUIRE((h != decltype(table)::kNone) == model.contains(key));
    if (h != decltype(table)::kNone) REQUIRE(table.value(h) == model[key]);
    switch (random() % 3) {
      case 0:
        if (h != decltype(table)::kNone) {
          table.erase(h);
          model.erase(key);
        }
        break;
      default: {
        const auto found = table.find_or_insert(key);
        if (found.fresh && model.size() == kCapacity) {
          // One entry was evicted: drop whichever the table no longer has.
          std::erase_if(model, [&](const auto& entry) {
            return entry.first != key && table.find(entry.first) == decltype(table)::kNone;
          });
        }
        table.value(found.handle) = step;
        model[key] = step;
      }
    }
    REQUIRE(table.size() == model.size());
    REQUIRE(table.size() <= kCapacity);
  }
}

}  // namespace keepdb::ratelimit::test
