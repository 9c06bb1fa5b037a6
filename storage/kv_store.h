// The key-value data model in LMDB: string keys to value records, the expiry index, and
// the state machine's metadata (the last applied log index and the state machine clock).
// Values are stored as a record in the `kv` database:
//   byte 0   flags (bit 0: an absolute expiry follows)
//   [8 bytes little-endian expiry, Unix ms]   when flags & 1
//   payload
// Every key with an expiry also has one entry in the `expiry` database (MDB_DUPSORT):
// 8-byte big-endian deadline -> key, so the keys due first come first. put() and erase()
// keep the index exact; KvStore never decides by itself that a key has expired (the
// callers compare deadlines with their notion of now, see ValueView::expired).
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
#include <vector>

#include "storage/lmdb.h"

namespace keepdb::storage {

struct ValueView {
  std::string_view payload;
  std::uint64_t expires_at_ms = 0;  // 0: never

  // A key is gone from the moment its deadline is reached.
  bool expired(std::uint64_t now_ms) const { return expires_at_ms != 0 && expires_at_ms <= now_ms; }
};

class KvStore {
 public:
  // Opens the `kv`, `expiry` and `meta` databases of `env` (created if missing). `env` must
  // outlive this.
  explicit KvStore(const Env& env);

  const Env& env() const { return env_; }

  // The stored record, expired or not.
  std::optional<ValueView> get(MDB_txn* txn, std::string_view key) const;
  void put(MDB_txn* txn, std::string_view key, std::string_view payload,
           std::uint64_t expires_at_ms = 0) const;
  bool erase(MDB_txn* txn, std::string_view key) const;
  // The bytes one key takes in LMDB's pages (MEMORY USAGE): the key and its record (flag
  // byte, expiry, payload) with LMDB's node header and page slot, and its expiry index entry
  // when it has a deadline. A value on overflow pages is counted without the rounding up
  // to whole pages.
  static std::uint64_t stored_bytes(std::string_view key, const ValueView& value);
  // Stored records, expired ones included (as Redis's DBSIZE counts them).
  std::uint64_t size(MDB_txn* txn) const;
  void clear(MDB_txn* txn) const;

  // Visits records in key order starting at the first key >= `from`; stops when `visit`
  // returns false. Returns the key after the last visited one, or nullopt at the end.
  std::optional<std::string> scan(
      MDB_txn* txn, std::string_view from,
      const std::function<bool(std::string_view key, const ValueView& value)>& visit) const;

  // Up to `limit` keys whose deadline is at or before `now_ms`, earliest deadline first.
  std::vector<std::string> keys_due(MDB_txn* txn, std::uint64_t now_ms, std::size_t limit) const;
  // Keys that carry an expiry (entries of the expiry index).
  std::uint64_t volatile_keys(MDB_txn* txn) const;

  std::uint64_t applied_index(MDB_txn* txn) const;
  void set_applied_index(MDB_txn* txn, std::uint64_t index) const;
  // The state machine clock (Unix ms): the latest batch time applied, 0 before any.
  std::uint64_t clock_ms(MDB_txn* txn) const;
  void set_clock_ms(MDB_txn* txn, std::uint64_t now_ms) const;

 private:
  void index_expiry(MDB_txn* txn, std::string_view key, std::uint64_t expires_at_ms,
                    bool add) const;
  std::uint64_t load_meta(MDB_txn* txn, std::string_view name) const;
  void store_meta(MDB_txn* txn, std::string_view name, std::uint64_t value) const;

  const Env& env_;
  MDB_dbi kv_;
  MDB_dbi expiry_;
  MDB_dbi meta_;
};

}  // namespace keepdb::storage
