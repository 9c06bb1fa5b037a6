// Tests for KvStore: value records with and without expiry (including their byte layout),
// erase, size, clear, ordered scans with resume points, the applied index, and databases
// (separate keyspaces, the empty key, counts, FLUSHDB/FLUSHALL/SWAPDB, the key format).
#include <catch2/catch.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/kv_store.h"
#include "storage/lmdb.h"
#include "tests/support/temp_dir.h"

using namespace std::string_literals;
using keepdb::storage::Env;
using keepdb::storage::KvStore;
using keepdb::storage::ReadTxn;
using keepdb::storage::StorageError;
using keepdb::storage::WriteTxn;

namespace {

// A KvStore in a fresh environment, with helpers that run one committed write transaction
// or one read snapshot.
class StoreFixture {
 public:
  StoreFixture() { open(); }

  const KvStore& kv() const { return *kv_; }

  void write(const std::function<void(MDB_txn*)>& body) {
    WriteTxn txn(*env_);
    body(txn.get());
    txn.commit();
  }
  void read(const std::function<void(MDB_txn*)>& body) {
    ReadTxn txn(*env_);
    txn.begin();
    body(txn.get());
  }

  // Payload and expiry of `key` copied out of a read snapshot; nullopt when absent.
  std::optional<std::pair<std::string, std::uint64_t>> stored(std::string_view key,
                                                              keepdb::storage::Db db = 0) {
    std::optional<std::pair<std::string, std::uint64_t>> result;
    read([&](MDB_txn* txn) {
      if (const auto value = kv_->get(txn, db, key)) {
        result.emplace(std::string(value->payload), value->expires_at_ms);
      }
    });
    return result;
  }

  // The raw record bytes of stored key `key` (database byte included) in the "kv"
  // database, bypassing KvStore's decoding.
  std::string raw_record(std::string_view key) {
    const MDB_dbi dbi = keepdb::storage::open_database(*env_, "kv");
    std::string bytes;
    read([&](MDB_txn* txn) {
      MDB_val k = keepdb::storage::to_val(key), v{};
      REQUIRE(mdb_get(txn, dbi, &k, &v) == MDB_SUCCESS);
      bytes = std::string(keepdb::storage::from_val(v));
    });
    return bytes;
  }
  void put_raw_record(std::string_view key, std::string_view record) {
    const MDB_dbi dbi = keepdb::storage::open_database(*env_, "kv");
    write([&](MDB_txn* txn) {
      MDB_val k = keepdb::storage::to_val(key), v = keepdb::storage::to_val(record);
      REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == MDB_SUCCESS);
    });
  }

  // Every key from `from` on, in scan order, and the resume key scan() returned.
  std::pair<std::vector<std::string>, std::optional<std::string>> scan_from(
      std::string_view from, std::size_t limit = SIZE_MAX, keepdb::storage::Db db = 0) {
    std::vector<std::string> keys;
    std::optional<std::string> next;
    read([&](MDB_txn* txn) {
      next = kv_->scan(txn, db, from, [&](std::string_view key, const keepdb::storage::ValueView&) {
        keys.emplace_back(key);
        return keys.size() < limit;
      });
    });
    return {keys, next};
  }

  void reopen() {
    kv_.reset();
    env_.reset();
    open();
  }

 private:
  void open() {
    env_.emplace(dir_.path(), keepdb::storage::EnvOptions{.map_size_bytes = 16u << 20});
    kv_.emplace(*env_);
  }

  keepdb::test::TempDir dir_;
  std::optional<Env> env_;
  std::optional<KvStore> kv_;
};

// The keys keys_due() lists, each as "<db>:<key>".
std::vector<std::string> due_keys(const KvStore& kv, MDB_txn* txn, std::uint64_t now_ms,
                                  std::size_t limit) {
  std::vector<std::string> keys;
  for (const auto& due : kv.keys_due(txn, now_ms, limit)) {
    keys.push_back(std::to_string(due.db) + ":" + due.key);
  }
  return keys;
}

}  // namespace

TEST_CASE("kv_store: a value put without expiry reads back with expiry 0", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) { store.kv().put(txn, 0, "k", "value"); });
  CHECK(store.stored("k") == std::pair("value"s, std::uint64_t{0}));
  CHECK(store.raw_record("\0k"s) == "\x00value"s);
}

TEST_CASE("kv_store: a value put with expiry reads back with it, little-endian in the record",
          "[kv_store]") {
  StoreFixture store;
  const std::uint64_t expiry = 0x0102030405060708;
  store.write([&](MDB_txn* txn) { store.kv().put(txn, 0, "k", "value", expiry); });
  CHECK(store.stored("k") == std::pair("value"s, expiry));
  CHECK(store.raw_record("\0k"s) == "\x01\x08\x07\x06\x05\x04\x03\x02\x01value"s);
}

TEST_CASE("kv_store: empty and binary payloads round-trip", "[kv_store]") {
  StoreFixture store;
  const std::string binary = "a\0b\r\n\xff"s;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, 0, "empty", "");
    store.kv().put(txn, 0, "empty-expiring", "", 42);
    store.kv().put(txn, 0, "binary", binary);
  });
  CHECK(store.stored("empty") == std::pair(""s, std::uint64_t{0}));
  CHECK(store.stored("empty-expiring") == std::pair(""s, std::uint64_t{42}));
  CHECK(store.stored("binary") == std::pair(binary, std::uint64_t{0}));
}

TEST_CASE("kv_store: overwriting without expiry drops the old expiry", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) { store.kv().put(txn, 0, "k", "old", 1000); });
  store.write([&](MDB_txn* txn) { store.kv().put(txn, 0, "k", "new"); });
  CHECK(store.stored("k") == std::pair("new"s, std::uint64_t{0}));
}

// put() overwrites a found record in place (one search): records growing and shrinking,
// inline and on overflow pages, between many keys so that pages split and merge.
TEST_CASE("kv_store: overwrites of every size between many keys read back", "[kv_store]") {
  StoreFixture store;
  const std::vector<std::size_t> sizes{0, 1, 200, 3000, 9000, 40, 5000, 0};
  for (const std::size_t size : sizes) {
    store.write([&](MDB_txn* txn) {
      for (int i = 0; i < 300; ++i) {
        const std::string key = "key:" + std::to_string(i);
        store.kv().put(txn, 0, key, std::string(size + i % 7, static_cast<char>('a' + i % 26)),
                       i % 3 == 0 ? 1000 + size : 0);
      }
    });
    for (int i = 0; i < 300; i += 37) {
      const std::string key = "key:" + std::to_string(i);
      CHECK(store.stored(key) ==
            std::pair(std::string(size + i % 7, static_cast<char>('a' + i % 26)),
                      std::uint64_t{i % 3 == 0 ? 1000 + size : 0}));
    }
  }
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().size(txn, 0) == 300);
    CHECK(store.kv().volatile_keys(txn, 0) == 100);
    CHECK(store.kv().keys_due(txn, ~std::uint64_t{0}, 1000).size() == 100);  // none left behind
  });
}

TEST_CASE("kv_store: a put over a corrupt record raises StorageError", "[kv_store]") {
  StoreFixture store;
  store.put_raw_record("\0short-expiry"s, "\x01\x00\x00"s);
  CHECK_THROWS_AS(store.write([&](MDB_txn* txn) { store.kv().put(txn, 0, "short-expiry", "v"); }),
                  StorageError);
}

TEST_CASE("kv_store: missing and over-long keys read as absent", "[kv_store]") {
  StoreFixture store;
  CHECK_FALSE(store.stored("missing"));
  CHECK_FALSE(store.stored(""));
  CHECK_FALSE(store.stored(std::string(511, 'k')));
}

TEST_CASE("kv_store: a 510-byte key is stored, a 511-byte key is refused by LMDB", "[kv_store]") {
  StoreFixture store;
  const std::string longest(510, 'k');
  store.write([&](MDB_txn* txn) { store.kv().put(txn, 0, longest, "v"); });
  CHECK(store.stored(longest) == std::pair("v"s, std::uint64_t{0}));
  CHECK_THROWS_AS(store.write([&](MDB_txn* txn) { store.kv().put(txn, 0, longest + "k", "v"); }),
                  StorageError);
}

TEST_CASE("kv_store: erase reports whether the key existed", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) { store.kv().put(txn, 0, "k", "v"); });
  store.write([&](MDB_txn* txn) {
    CHECK(store.kv().erase(txn, 0, "k"));
    CHECK_FALSE(store.kv().erase(txn, 0, "k"));
    CHECK_FALSE(store.kv().erase(txn, 0, ""));
    CHECK_FALSE(store.kv().erase(txn, 0, std::string(511, 'k')));
  });
  CHECK_FALSE(store.stored("k"));
}

TEST_CASE("kv_store: size counts keys, clear removes them all but not the applied index",
          "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    CHECK(store.kv().size(txn, 0) == 0);
    for (const char* key : {"a", "b", "c"}) store.kv().put(txn, 0, key, "v");
    store.kv().put(txn, 0, "a", "overwritten");
    CHECK(store.kv().size(txn, 0) == 3);
    store.kv().set_applied_index(txn, 7);
  });
  store.write([&](MDB_txn* txn) {
    store.kv().clear(txn, 0);
    CHECK(store.kv().size(txn, 0) == 0);
  });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().size(txn, 0) == 0);
    CHECK(store.kv().applied_index(txn) == 7);
  });
  CHECK_FALSE(store.stored("a"));
}

TEST_CASE("kv_store: scan visits keys in byte order", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    for (const std::string& key : {"b"s, "aa"s, "a"s, "B"s, "\xff"s, "\x00"s, "a\x00"s}) {
      store.kv().put(txn, 0, key, "v");
    }
  });
  const auto [keys, next] = store.scan_from("");
  CHECK(keys == std::vector{"\x00"s, "B"s, "a"s, "a\x00"s, "aa"s, "b"s, "\xff"s});
  CHECK_FALSE(next);
}

TEST_CASE("kv_store: a stopped scan returns the next key and resumes from it exactly",
          "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    for (const char* key : {"a", "b", "c", "d", "e"}) store.kv().put(txn, 0, key, "v");
  });
  std::vector<std::string> seen;
  std::optional<std::string> from = ""s;
  int calls = 0;
  while (from) {
    auto [keys, next] = store.scan_from(*from, 2);
    seen.insert(seen.end(), keys.begin(), keys.end());
    from = next;
    ++calls;
  }
  CHECK(seen == std::vector<std::string>{"a", "b", "c", "d", "e"});
  CHECK(calls == 3);
}

TEST_CASE("kv_store: a scan stopped on the last key reports the end", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    for (const char* key : {"a", "b"}) store.kv().put(txn, 0, key, "v");
  });
  const auto [keys, next] = store.scan_from("", 2);
  CHECK(keys.size() == 2);
  CHECK_FALSE(next);
}

TEST_CASE("kv_store: a scan from an absent key starts at the next greater key", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    for (const char* key : {"a", "c", "e"}) store.kv().put(txn, 0, key, "v");
  });
  CHECK(store.scan_from("b").first == std::vector<std::string>{"c", "e"});
  CHECK(store.scan_from("f").first.empty());
  CHECK_FALSE(store.scan_from("f").second);
}

TEST_CASE("kv_store: a scan of an empty keyspace visits nothing", "[kv_store]") {
  StoreFixture store;
  const auto [keys, next] = store.scan_from("");
  CHECK(keys.empty());
  CHECK_FALSE(next);
}

TEST_CASE("kv_store: the applied index starts at 0 and follows commits, not aborts", "[kv_store]") {
  StoreFixture store;
  store.read([&](MDB_txn* txn) { CHECK(store.kv().applied_index(txn) == 0); });
  store.write([&](MDB_txn* txn) { store.kv().set_applied_index(txn, 0xfedcba9876543210); });
  {
    WriteTxn aborted(store.kv().env());
    store.kv().set_applied_index(aborted.get(), 1);
  }
  store.read([&](MDB_txn* txn) { CHECK(store.kv().applied_index(txn) == 0xfedcba9876543210); });
}

TEST_CASE("kv_store: values and the applied index survive reopening the environment",
          "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, 0, "k", "v", 99);
    store.kv().set_applied_index(txn, 5);
  });
  store.reopen();
  CHECK(store.stored("k") == std::pair("v"s, std::uint64_t{99}));
  store.read([&](MDB_txn* txn) { CHECK(store.kv().applied_index(txn) == 5); });
}

TEST_CASE("kv_store: corrupt value records raise StorageError", "[kv_store]") {
  StoreFixture store;
  store.put_raw_record("\0empty"s, "");
  store.put_raw_record("\0short-expiry"s, "\x01\x00\x00"s);
  CHECK_THROWS_AS(store.stored("empty"), StorageError);
  CHECK_THROWS_AS(store.stored("short-expiry"), StorageError);
}

TEST_CASE("kv_store: the expiry index lists due keys earliest first, up to a limit",
          "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, 0, "late", "v", 300);
    store.kv().put(txn, 0, "early", "v", 100);
    store.kv().put(txn, 0, "middle", "v", 200);
    store.kv().put(txn, 0, "same-deadline", "v", 200);
    store.kv().put(txn, 0, "persistent", "v");
  });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().volatile_keys(txn, 0) == 4);
    CHECK(due_keys(store.kv(), txn, 99, 10).empty());
    CHECK(due_keys(store.kv(), txn, 100, 10) == std::vector<std::string>{"0:early"});
    CHECK(due_keys(store.kv(), txn, 250, 10) ==
          std::vector<std::string>{"0:early", "0:middle", "0:same-deadline"});
    CHECK(due_keys(store.kv(), txn, 1000, 2) == std::vector<std::string>{"0:early", "0:middle"});
  });
}

TEST_CASE("kv_store: overwrites, erase and clear keep the expiry index exact", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, 0, "moved", "v", 100);
    store.kv().put(txn, 0, "moved", "v", 500);     // new deadline replaces the old entry
    store.kv().put(txn, 0, "persisted", "v", 100);
    store.kv().put(txn, 0, "persisted", "v");      // no deadline any more
    store.kv().put(txn, 0, "erased", "v", 100);
    CHECK(store.kv().erase(txn, 0, "erased"));
  });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().volatile_keys(txn, 0) == 1);
    CHECK(due_keys(store.kv(), txn, 400, 10).empty());
    CHECK(due_keys(store.kv(), txn, 500, 10) == std::vector<std::string>{"0:moved"});
  });
  store.write([&](MDB_txn* txn) { store.kv().clear(txn, 0); });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().volatile_keys(txn, 0) == 0);
    CHECK(due_keys(store.kv(), txn, 1000, 10).empty());
  });
}

TEST_CASE("kv_store: a key of the maximum length can carry a deadline", "[kv_store]") {
  StoreFixture store;
  const std::string key(510, 'k');
  store.write([&](MDB_txn* txn) { store.kv().put(txn, 255, key, "v", 7); });
  store.read([&](MDB_txn* txn) {
    CHECK(due_keys(store.kv(), txn, 7, 1) == std::vector<std::string>{"255:" + key});
  });
}

TEST_CASE("kv_store: the state machine clock starts at 0 and survives reopening",
          "[kv_store]") {
  StoreFixture store;
  store.read([&](MDB_txn* txn) { CHECK(store.kv().clock_ms(txn) == 0); });
  store.write([&](MDB_txn* txn) { store.kv().set_clock_ms(txn, 1'700'000'000'123); });
  store.reopen();
  store.read([&](MDB_txn* txn) { CHECK(store.kv().clock_ms(txn) == 1'700'000'000'123); });
}

TEST_CASE("kv_store: databases are separate keyspaces, the empty key included", "[kv_store][db]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, 0, "", "empty in 0");
    store.kv().put(txn, 1, "", "empty in 1", 50);
    store.kv().put(txn, 1, "k", "k in 1");
    store.kv().put(txn, 255, "\x01k"s, "looks like db 1's k");
  });
  CHECK(store.stored("", 0) == std::pair("empty in 0"s, std::uint64_t{0}));
  CHECK(store.stored("", 1) == std::pair("empty in 1"s, std::uint64_t{50}));
  CHECK_FALSE(store.stored("", 2));
  CHECK_FALSE(store.stored("k", 0));
  CHECK(store.stored("\x01k"s, 255) == std::pair("looks like db 1's k"s, std::uint64_t{0}));
  CHECK_FALSE(store.stored("\x01k"s, 0));  // not database 0's view of database 1's "k"
  CHECK(store.raw_record("\x01"s) == "\x01\x32\0\0\0\0\0\0\0empty in 1"s);
  CHECK(store.scan_from("", SIZE_MAX, 1).first == std::vector<std::string>{"", "k"});
  CHECK(store.scan_from("", SIZE_MAX, 0).first == std::vector<std::string>{""});
  CHECK(store.scan_from("", SIZE_MAX, 2).first.empty());
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().size(txn, 0) == 1);
    CHECK(store.kv().size(txn, 1) == 2);
    CHECK(store.kv().size(txn, 255) == 1);
    CHECK(store.kv().size(txn, 3) == 0);
    CHECK(store.kv().size_all(txn) == 4);
    CHECK(store.kv().volatile_keys(txn, 1) == 1);
    CHECK(store.kv().volatile_keys(txn, 0) == 0);
    CHECK(due_keys(store.kv(), txn, 100, 10) == std::vector<std::string>{"1:"});
  });
}

TEST_CASE("kv_store: a scan stopped on a database's last key ends there, not in the next one",
          "[kv_store][db]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    for (const char* key : {"a", "b"}) store.kv().put(txn, 1, key, "v");
    store.kv().put(txn, 2, "a", "v");
  });
  const auto [keys, next] = store.scan_from("", 2, 1);
  CHECK(keys == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(next);
  const auto [first, resume] = store.scan_from("", 1, 1);
  CHECK(resume == "b");
}

TEST_CASE("kv_store: counts follow puts, overwrites, expiry changes and erases", "[kv_store][db]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, 4, "a", "v");
    store.kv().put(txn, 4, "a", "v", 10);  // gains a deadline
    store.kv().put(txn, 4, "b", "v", 10);
    store.kv().put(txn, 4, "b", "w", 20);  // another deadline
    store.kv().put(txn, 4, "c", "v");
    CHECK(store.kv().size(txn, 4) == 3);
    CHECK(store.kv().volatile_keys(txn, 4) == 2);
    store.kv().put(txn, 4, "a", "v");  // loses it
    CHECK(store.kv().erase(txn, 4, "b"));
    CHECK(store.kv().size(txn, 4) == 2);
    CHECK(store.kv().volatile_keys(txn, 4) == 0);
  });
  store.reopen();
  store.read([&](MDB_txn* txn) { CHECK(store.kv().size(txn, 4) == 2); });
}

TEST_CASE("kv_store: clearing one database keeps the others and the expiry index exact",
          "[kv_store][db]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    for (int i = 0; i < 50; ++i) {
      store.kv().put(txn, 1, "k" + std::to_string(i), "v", i % 2 ? 100 : 0);
      store.kv().put(txn, 0, "k" + std::to_string(i), "v", 100);
      store.kv().put(txn, 2, "k" + std::to_string(i), "v");
    }
    store.kv().put(txn, 1, "", "v", 100);
  });
  store.write([&](MDB_txn* txn) { store.kv().clear(txn, 1); });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().size(txn, 1) == 0);
    CHECK(store.kv().volatile_keys(txn, 1) == 0);
    CHECK(store.kv().size(txn, 0) == 50);
    CHECK(store.kv().size(txn, 2) == 50);
    CHECK(store.kv().keys_due(txn, 100, 1000).size() == 50);  // database 0's alone
  });
  CHECK(store.scan_from("", SIZE_MAX, 1).first.empty());
  store.write([&](MDB_txn* txn) { store.kv().clear_all(txn); });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().size_all(txn) == 0);
    CHECK(store.kv().size(txn, 0) == 0);
    CHECK(store.kv().keys_due(txn, 100, 1000).empty());
  });
}

TEST_CASE("kv_store: swap exchanges two databases with their deadlines", "[kv_store][db]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, 0, "a", "from 0", 10);
    store.kv().put(txn, 0, "both", "0's");
    store.kv().put(txn, 3, "both", "3's", 30);
    store.kv().put(txn, 3, "", "3's empty");
  });
  store.write([&](MDB_txn* txn) { store.kv().swap(txn, 0, 3); });
  CHECK(store.stored("a", 3) == std::pair("from 0"s, std::uint64_t{10}));
  CHECK(store.stored("both", 3) == std::pair("0's"s, std::uint64_t{0}));
  CHECK(store.stored("both", 0) == std::pair("3's"s, std::uint64_t{30}));
  CHECK(store.stored("", 0) == std::pair("3's empty"s, std::uint64_t{0}));
  CHECK_FALSE(store.stored("a", 0));
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().size(txn, 0) == 2);
    CHECK(store.kv().size(txn, 3) == 2);
    CHECK(due_keys(store.kv(), txn, 100, 10) == std::vector<std::string>{"3:a", "0:both"});
  });
  store.write([&](MDB_txn* txn) { store.kv().swap(txn, 5, 5); });
}

TEST_CASE("kv_store: scan_all visits every database in order and resumes", "[kv_store][db]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, 2, "b", "v");
    store.kv().put(txn, 0, "z", "v");
    store.kv().put(txn, 2, "", "v");
  });
  std::vector<std::string> seen;
  std::optional<std::string> from = ""s;
  while (from) {
    store.read([&](MDB_txn* txn) {
      int visited = 0;
      from = store.kv().scan_all(
          txn, *from, [&](keepdb::storage::Db db, std::string_view key, const auto&) {
            seen.push_back(std::to_string(db) + ":" + std::string(key));
            return ++visited < 1;
          });
    });
  }
  CHECK(seen == std::vector<std::string>{"0:z", "2:", "2:b"});
}

TEST_CASE("kv_store: a store of the key format before databases is refused", "[kv_store][db]") {
  keepdb::test::TempDir dir;
  {
    Env env(dir.path(), {.map_size_bytes = 16u << 20});
    const MDB_dbi kv = keepdb::storage::open_database(env, "kv");
    WriteTxn txn(env);
    const std::string record = "\0v"s;
    MDB_val k = keepdb::storage::to_val("old-key"), v = keepdb::storage::to_val(record);
    REQUIRE(mdb_put(txn.get(), kv, &k, &v, 0) == MDB_SUCCESS);
    txn.commit();
  }
  Env env(dir.path(), {.map_size_bytes = 16u << 20});
  try {
    KvStore store(env);
    FAIL("an old store was opened");
  } catch (const StorageError& e) {
    CHECK_THAT(e.what(), Catch::Contains("format 1") && Catch::Contains("empty data directory"));
  }
}
