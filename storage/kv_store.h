// The key-value data model in LMDB: numbered databases (Redis's SELECT 0..N-1) of string
// keys to value records, the expiry index, per-database counts, and the state machine's
// metadata (the last applied log index and the state machine clock).
// Keys (key format 2): one byte, the database index, then the client's key, so the empty key
// of database 3 is the one byte 0x03 and a client's key can never be taken for a prefix or a
// sentinel; a client's key is at most kMaxKeyBytes (LMDB's 511 minus the database byte).
// Every database is one contiguous run of the `kv` database, in key order. Values are
// stored as a record:
//   byte 0   flags (bit 0: an absolute expiry follows)
//   [8 bytes little-endian expiry, Unix ms]   when flags & 1
//   payload
// Every key with an expiry also has one entry in the `expiry` database (MDB_DUPSORT):
// 8-byte big-endian deadline -> stored key (database byte and key), so the keys due first
// come first. The `counts` database holds, per database byte, its number of keys and of keys
// with an expiry (two u64 little-endian), so DBSIZE and INFO keyspace cost one read. put()
// and erase() keep the index and the counts exact; KvStore never decides by itself that a key has expired (the
// callers compare deadlines with their notion of now, see ValueView::expired).
// A data directory written with key format 1 (keys without a database byte, before
// databases existed) is refused when opened, with an error that says so.
//
// Thread-safety: a KvStore may be used from many threads; each transaction passed in
// belongs to its caller's thread. Views returned by reads point into LMDB's map and are
// valid until that transaction ends or writes the same key.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/lmdb.h"

namespace keepdb::storage {

// A database index, 0 to kMaxDatabases - 1 (how many a node offers is its configuration's
// storage.databases; the store holds any).
using Db = std::uint8_t;
inline constexpr unsigned kMaxDatabases = 256;
// The longest client key: LMDB's 511-byte key limit less the database byte.
inline constexpr std::size_t kMaxKeyBytes = 510;

struct ValueView {
  std::string_view payload;
  std::uint64_t expires_at_ms = 0;  // 0: never

  // A key is gone from the moment its deadline is reached.
  bool expired(std::uint64_t now_ms) const { return expires_at_ms != 0 && expires_at_ms <= now_ms; }
};

class KvStore {
 public:
  // Opens the `kv`, `expiry`, `counts` and `meta` databases of `env` (created if missing;
  // the environment needs max_dbs >= 4). Throws StorageError when the store holds keys of an
  // older key format. `env` must outlive this.
  explicit KvStore(const Env& env);

  const Env& env() const { return env_; }

  // The stored record of `key` in database `db`, expired or not. A key longer than
  // kMaxKeyBytes is never stored.
  std::optional<ValueView> get(MDB_txn* txn, Db db, std::string_view key) const;
  // `key` must be at most kMaxKeyBytes (LMDB refuses longer ones with a StorageError).
  // `cursor`, when given, is a put_cursor() of `txn`: put() then uses it rather than opening
  // (and allocating) a cursor of its own.
  void put(MDB_txn* txn, Db db, std::string_view key, std::string_view payload,
           std::uint64_t expires_at_ms = 0, MDB_cursor* cursor = nullptr) const;
  // A cursor for a run of put()s through one write transaction (a state machine's batch).
  // It must be destroyed before `txn` ends: LMDB frees a write transaction's cursors then.
  using PutCursor = std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)>;
  PutCursor put_cursor(MDB_txn* txn) const;
  bool erase(MDB_txn* txn, Db db, std::string_view key) const;
  // The bytes one key takes in LMDB's pages (MEMORY USAGE): the stored key (database byte
  // and key) and its record (flag byte, expiry, payload) with LMDB's node header and page
  // slot, and its expiry index entry when it has a deadline. A value on overflow pages is
  // counted without the rounding up to whole pages.
  static std::uint64_t stored_bytes(std::string_view key, const ValueView& value);
  // Stored records of `db`, expired ones included (as Redis's DBSIZE counts them).
  std::uint64_t size(MDB_txn* txn, Db db) const;
  // Keys of `db` that carry an expiry.
  std::uint64_t volatile_keys(MDB_txn* txn, Db db) const;
  // Empties one database (FLUSHDB), or all of them (FLUSHALL).
  void clear(MDB_txn* txn, Db db) const;
  void clear_all(MDB_txn* txn) const;
  // Exchanges the contents of two databases, expiry deadlines included (SWAPDB). It rewrites
  // every key of both and holds their records in memory meanwhile: its cost grows with
  // their size.
  void swap(MDB_txn* txn, Db a, Db b) const;

  // Visits the records of `db` in key order starting at the first key >= `from`; stops when
  // `visit` returns false. Returns the key after the last visited one, or nullopt at the end
  // of the database.
  std::optional<std::string> scan(
      MDB_txn* txn, Db db, std::string_view from,
      const std::function<bool(std::string_view key, const ValueView& value)>& visit) const;

  // Every database's records, database by database, in key order, starting at `from` (a
  // position this returned; empty: the first record). Returns the position of the record
  // after the last visited one, or nullopt at the end. Positions are opaque.
  std::optional<std::string> scan_all(
      MDB_txn* txn, std::string_view from,
      const std::function<bool(Db db, std::string_view key, const ValueView& value)>& visit)
      const;
  // Stored records of every database.
  std::uint64_t size_all(MDB_txn* txn) const;

  struct DueKey {
    Db db = 0;
    std::string key;
  };
  // Up to `limit` keys whose deadline is at or before `now_ms`, earliest deadline first.
  std::vector<DueKey> keys_due(MDB_txn* txn, std::uint64_t now_ms, std::size_t limit) const;

  std::uint64_t applied_index(MDB_txn* txn) const;
  void set_applied_index(MDB_txn* txn, std::uint64_t index) const;
  // The state machine clock (Unix ms): the latest batch time applied, 0 before any.
  std::uint64_t clock_ms(MDB_txn* txn) const;
  void set_clock_ms(MDB_txn* txn, std::uint64_t now_ms) const;

 private:
  void index_expiry(MDB_txn* txn, std::string_view stored, std::uint64_t expires_at_ms,
                    bool add) const;
  struct Counts {
    std::uint64_t keys = 0;
    std::uint64_t volatile_keys = 0;
  };
  Counts load_counts(MDB_txn* txn, Db db) const;
  void store_counts(MDB_txn* txn, Db db, const Counts& counts) const;
  void check_key_format() const;
  std::uint64_t load_meta(MDB_txn* txn, std::string_view name) const;
  void store_meta(MDB_txn* txn, std::string_view name, std::uint64_t value) const;

  const Env& env_;
  MDB_dbi kv_;
  MDB_dbi expiry_;
  MDB_dbi counts_;
  MDB_dbi meta_;
};

}  // namespace keepdb::storage
