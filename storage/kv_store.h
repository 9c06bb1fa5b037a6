// The key-value data model in LMDB: string keys to value records, plus the state
// machine's metadata (the last applied log index). Values are stored as a record:
//   byte 0   flags (bit 0: an absolute expiry follows)
//   [8 bytes little-endian expiry, Unix ms]   when flags & 1
//   payload
//
// Thread-safety: a KvStore may be used from many threads; each transaction passed in
// belongs to its caller's thread. Views returned by reads point into LMDB's map and are
// valid until that transaction ends or writes the same key.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "storage/lmdb.h"

namespace keepdb::storage {

struct ValueView {
  std::string_view payload;
  std::uint64_t expires_at_ms = 0;  // 0: never
};

class KvStore {
 public:
  // Opens the `kv` and `meta` databases of `env` (created if missing). `env` must outlive this.
  explicit KvStore(const Env& env);

  const Env& env() const { return env_; }

  std::optional<ValueView> get(MDB_txn* txn, std::string_view key) const;
  void put(MDB_txn* txn, std::string_view key, std::string_view payload,
           std::uint64_t expires_at_ms = 0) const;
  bool erase(MDB_txn* txn, std::string_view key) const;
  std::uint64_t size(MDB_txn* txn) const;
  void clear(MDB_txn* txn) const;

  // Visits keys in order starting at the first key >= `from`; stops when `visit` returns
  // false. Returns the key after the last visited one, or nullopt at the end of the keyspace.
  std::optional<std::string> scan(MDB_txn* txn, std::string_view from,
                                  const std::function<bool(std::string_view key)>& visit) const;

  std::uint64_t applied_index(MDB_txn* txn) const;
  void set_applied_index(MDB_txn* txn, std::uint64_t index) const;

 private:
  const Env& env_;
  MDB_dbi kv_;
  MDB_dbi meta_;
};

}  // namespace keepdb::storage
