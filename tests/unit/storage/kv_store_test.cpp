// Tests for KvStore: value records with and without expiry (including their byte layout),
// erase, size, clear, ordered scans with resume points, and the applied index.
#include <catch2/catch.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/kv_store.h"
#include "storage/lmdb.h"
#include "tests/unit/storage/temp_dir.h"

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
  std::optional<std::pair<std::string, std::uint64_t>> stored(std::string_view key) {
    std::optional<std::pair<std::string, std::uint64_t>> result;
    read([&](MDB_txn* txn) {
      if (const auto value = kv_->get(txn, key)) {
        result.emplace(std::string(value->payload), value->expires_at_ms);
      }
    });
    return result;
  }

  // The raw record bytes of `key` in the "kv" database, bypassing KvStore's decoding.
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
      std::string_view from, std::size_t limit = SIZE_MAX) {
    std::vector<std::string> keys;
    std::optional<std::string> next;
    read([&](MDB_txn* txn) {
      next = kv_->scan(txn, from, [&](std::string_view key, const keepdb::storage::ValueView&) {
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

}  // namespace

TEST_CASE("kv_store: a value put without expiry reads back with expiry 0", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) { store.kv().put(txn, "k", "value"); });
  CHECK(store.stored("k") == std::pair("value"s, std::uint64_t{0}));
  CHECK(store.raw_record("k") == "\x00value"s);
}

TEST_CASE("kv_store: a value put with expiry reads back with it, little-endian in the record",
          "[kv_store]") {
  StoreFixture store;
  const std::uint64_t expiry = 0x0102030405060708;
  store.write([&](MDB_txn* txn) { store.kv().put(txn, "k", "value", expiry); });
  CHECK(store.stored("k") == std::pair("value"s, expiry));
  CHECK(store.raw_record("k") == "\x01\x08\x07\x06\x05\x04\x03\x02\x01value"s);
}

TEST_CASE("kv_store: empty and binary payloads round-trip", "[kv_store]") {
  StoreFixture store;
  const std::string binary = "a\0b\r\n\xff"s;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, "empty", "");
    store.kv().put(txn, "empty-expiring", "", 42);
    store.kv().put(txn, "binary", binary);
  });
  CHECK(store.stored("empty") == std::pair(""s, std::uint64_t{0}));
  CHECK(store.stored("empty-expiring") == std::pair(""s, std::uint64_t{42}));
  CHECK(store.stored("binary") == std::pair(binary, std::uint64_t{0}));
}

TEST_CASE("kv_store: overwriting without expiry drops the old expiry", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) { store.kv().put(txn, "k", "old", 1000); });
  store.write([&](MDB_txn* txn) { store.kv().put(txn, "k", "new"); });
  CHECK(store.stored("k") == std::pair("new"s, std::uint64_t{0}));
}

TEST_CASE("kv_store: missing, empty and over-long keys read as absent", "[kv_store]") {
  StoreFixture store;
  CHECK_FALSE(store.stored("missing"));
  CHECK_FALSE(store.stored(""));
  CHECK_FALSE(store.stored(std::string(512, 'k')));
}

TEST_CASE("kv_store: a 511-byte key is stored, a 512-byte key is refused by LMDB", "[kv_store]") {
  StoreFixture store;
  const std::string longest(511, 'k');
  store.write([&](MDB_txn* txn) { store.kv().put(txn, longest, "v"); });
  CHECK(store.stored(longest) == std::pair("v"s, std::uint64_t{0}));
  CHECK_THROWS_AS(store.write([&](MDB_txn* txn) { store.kv().put(txn, longest + "k", "v"); }),
                  StorageError);
}

TEST_CASE("kv_store: erase reports whether the key existed", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) { store.kv().put(txn, "k", "v"); });
  store.write([&](MDB_txn* txn) {
    CHECK(store.kv().erase(txn, "k"));
    CHECK_FALSE(store.kv().erase(txn, "k"));
    CHECK_FALSE(store.kv().erase(txn, ""));
    CHECK_FALSE(store.kv().erase(txn, std::string(512, 'k')));
  });
  CHECK_FALSE(store.stored("k"));
}

TEST_CASE("kv_store: size counts keys, clear removes them all but not the applied index",
          "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    CHECK(store.kv().size(txn) == 0);
    for (const char* key : {"a", "b", "c"}) store.kv().put(txn, key, "v");
    store.kv().put(txn, "a", "overwritten");
    CHECK(store.kv().size(txn) == 3);
    store.kv().set_applied_index(txn, 7);
  });
  store.write([&](MDB_txn* txn) {
    store.kv().clear(txn);
    CHECK(store.kv().size(txn) == 0);
  });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().size(txn) == 0);
    CHECK(store.kv().applied_index(txn) == 7);
  });
  CHECK_FALSE(store.stored("a"));
}

TEST_CASE("kv_store: scan visits keys in byte order", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    for (const std::string& key : {"b"s, "aa"s, "a"s, "B"s, "\xff"s, "\x00"s, "a\x00"s}) {
      store.kv().put(txn, key, "v");
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
    for (const char* key : {"a", "b", "c", "d", "e"}) store.kv().put(txn, key, "v");
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
    for (const char* key : {"a", "b"}) store.kv().put(txn, key, "v");
  });
  const auto [keys, next] = store.scan_from("", 2);
  CHECK(keys.size() == 2);
  CHECK_FALSE(next);
}

TEST_CASE("kv_store: a scan from an absent key starts at the next greater key", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    for (const char* key : {"a", "c", "e"}) store.kv().put(txn, key, "v");
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
    store.kv().put(txn, "k", "v", 99);
    store.kv().set_applied_index(txn, 5);
  });
  store.reopen();
  CHECK(store.stored("k") == std::pair("v"s, std::uint64_t{99}));
  store.read([&](MDB_txn* txn) { CHECK(store.kv().applied_index(txn) == 5); });
}

TEST_CASE("kv_store: corrupt value records raise StorageError", "[kv_store]") {
  StoreFixture store;
  store.put_raw_record("empty", "");
  store.put_raw_record("short-expiry", "\x01\x00\x00"s);
  CHECK_THROWS_AS(store.stored("empty"), StorageError);
  CHECK_THROWS_AS(store.stored("short-expiry"), StorageError);
}

TEST_CASE("kv_store: the expiry index lists due keys earliest first, up to a limit",
          "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, "late", "v", 300);
    store.kv().put(txn, "early", "v", 100);
    store.kv().put(txn, "middle", "v", 200);
    store.kv().put(txn, "same-deadline", "v", 200);
    store.kv().put(txn, "persistent", "v");
  });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().volatile_keys(txn) == 4);
    CHECK(store.kv().keys_due(txn, 99, 10).empty());
    CHECK(store.kv().keys_due(txn, 100, 10) == std::vector<std::string>{"early"});
    CHECK(store.kv().keys_due(txn, 250, 10) ==
          std::vector<std::string>{"early", "middle", "same-deadline"});
    CHECK(store.kv().keys_due(txn, 1000, 2) == std::vector<std::string>{"early", "middle"});
  });
}

TEST_CASE("kv_store: overwrites, erase and clear keep the expiry index exact", "[kv_store]") {
  StoreFixture store;
  store.write([&](MDB_txn* txn) {
    store.kv().put(txn, "moved", "v", 100);
    store.kv().put(txn, "moved", "v", 500);     // new deadline replaces the old entry
    store.kv().put(txn, "persisted", "v", 100);
    store.kv().put(txn, "persisted", "v");      // no deadline any more
    store.kv().put(txn, "erased", "v", 100);
    CHECK(store.kv().erase(txn, "erased"));
  });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().volatile_keys(txn) == 1);
    CHECK(store.kv().keys_due(txn, 400, 10).empty());
    CHECK(store.kv().keys_due(txn, 500, 10) == std::vector<std::string>{"moved"});
  });
  store.write([&](MDB_txn* txn) { store.kv().clear(txn); });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().volatile_keys(txn) == 0);
    CHECK(store.kv().keys_due(txn, 1000, 10).empty());
  });
}

TEST_CASE("kv_store: a key of the maximum length can carry a deadline", "[kv_store]") {
  StoreFixture store;
  const std::string key(511, 'k');
  store.write([&](MDB_txn* txn) { store.kv().put(txn, key, "v", 7); });
  store.read([&](MDB_txn* txn) {
    CHECK(store.kv().keys_due(txn, 7, 1) == std::vector<std::string>{key});
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
