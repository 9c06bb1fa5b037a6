// LMDB-backed key-value records and state machine metadata.
#include "storage/kv_store.h"

#include <cstring>
#include <memory>

namespace keepdb::storage {
namespace {

constexpr std::uint8_t kHasExpiry = 1;
constexpr std::string_view kAppliedIndexKey = "applied_index";
constexpr std::string_view kClockKey = "clock_ms";
constexpr std::string_view kKeyFormatKey = "key_format";
constexpr std::uint64_t kKeyFormat = 2;  // a database byte before every key

std::uint64_t load_le64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void store_le64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t load_be64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void store_be64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * (7 - i))) & 0xff);
}

ValueView decode_record(std::string_view record) {
  if (record.empty()) throw StorageError("corrupt value record", MDB_CORRUPTED);
  const auto flags = static_cast<std::uint8_t>(record[0]);
  ValueView view;
  if (flags & kHasExpiry) {
    if (record.size() < 9) throw StorageError("corrupt value record", MDB_CORRUPTED);
    view.expires_at_ms = load_le64(record.data() + 1);
    view.payload = record.substr(9);
  } else {
    view.payload = record.substr(1);
  }
  return view;
}

std::string stored_key(Db db, std::string_view key) {
  std::string stored;
  stored.reserve(1 + key.size());
  stored.push_back(static_cast<char>(db));
  stored.append(key);
  return stored;
}

// The stored key of a key at most kMaxKeyBytes long, on the stack: the point reads and
// writes of every command take no allocation for it.
class StoredKey {
 public:
  StoredKey(Db db, std::string_view key) : size_(1 + key.size()) {
    bytes_[0] = static_cast<char>(db);
    std::memcpy(bytes_ + 1, key.data(), key.size());
  }
  std::string_view view() const { return {bytes_, size_}; }
  MDB_val val() const { return to_val(view()); }

 private:
  char bytes_[1 + kMaxKeyBytes];
  std::size_t size_;
};

Db db_of(std::string_view stored) {
  if (stored.empty()) throw StorageError("corrupt key", MDB_CORRUPTED);
  return static_cast<Db>(static_cast<unsigned char>(stored[0]));
}

using Cursor = std::unique_ptr<MDB_cursor, decltype(&mdb_cursor_close)>;

Cursor open_cursor(MDB_txn* txn, MDB_dbi dbi, std::string_view what) {
  MDB_cursor* cursor = nullptr;
  check(mdb_cursor_open(txn, dbi, &cursor), what);
  return Cursor(cursor, mdb_cursor_close);
}

}  // namespace

KvStore::KvStore(const Env& env)
    : env_(env),
      kv_(open_database(env, "kv")),
      expiry_(open_database(env, "expiry", MDB_DUPSORT)),
      counts_(open_database(env, "counts")),
      meta_(open_database(env, "meta")) {
  check_key_format();
}

// A store with keys and no key format (or another one) was written before databases
// existed; a new or empty one is marked with the current format.
void KvStore::check_key_format() const {
  WriteTxn txn(env_);
  const std::uint64_t format = load_meta(txn.get(), kKeyFormatKey);
  if (format == kKeyFormat) return;
  MDB_stat stat{};
  check(mdb_stat(txn.get(), kv_, &stat), "stat keyspace");
  if (format != 0 || stat.ms_entries != 0) {
    throw StorageError("the data directory " + env_.path().string() + " holds keys in format " +
                           std::to_string(format == 0 ? 1 : format) + ", this KeepDB reads format " +
                           std::to_string(kKeyFormat) +
                           " only (numbered databases); start from an empty data directory",
                       MDB_INCOMPATIBLE);
  }
  store_meta(txn.get(), kKeyFormatKey, kKeyFormat);
  txn.commit();
}

KvStore::Counts KvStore::load_counts(MDB_txn* txn, Db db) const {
  const char name = static_cast<char>(db);
  MDB_val k{1, const_cast<char*>(&name)}, v{};
  const int rc = mdb_get(txn, counts_, &k, &v);
  if (rc == MDB_NOTFOUND) return {};
  check(rc, "read key counts");
  if (v.mv_size != 16) throw StorageError("corrupt key counts", MDB_CORRUPTED);
  const auto* bytes = static_cast<const char*>(v.mv_data);
  return {load_le64(bytes), load_le64(bytes + 8)};
}

void KvStore::store_counts(MDB_txn* txn, Db db, const Counts& counts) const {
  const char name = static_cast<char>(db);
  MDB_val k{1, const_cast<char*>(&name)};
  if (counts.keys == 0 && counts.volatile_keys == 0) {
    const int rc = mdb_del(txn, counts_, &k, nullptr);
    if (rc != MDB_NOTFOUND) check(rc, "write key counts");
    return;
  }
  char bytes[16];
  store_le64(bytes, counts.keys);
  store_le64(bytes + 8, counts.volatile_keys);
  MDB_val v{sizeof bytes, bytes};
  check(mdb_put(txn, counts_, &k, &v, 0), "write key counts");
}

std::optional<ValueView> KvStore::get(MDB_txn* txn, Db db, std::string_view key) const {
  if (key.size() > kMaxKeyBytes) return std::nullopt;  // never stored
  const StoredKey stored(db, key);
  MDB_val k = stored.val(), v{};
  const int rc = mdb_get(txn, kv_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check(rc, "read key");
  return decode_record(from_val(v));
}

void KvStore::index_expiry(MDB_txn* txn, std::string_view stored, std::uint64_t expires_at_ms,
                           bool add) const {
  char deadline[8];
  store_be64(deadline, expires_at_ms);
  MDB_val k{sizeof deadline, deadline}, v = to_val(stored);
  const int rc = add ? mdb_put(txn, expiry_, &k, &v, 0) : mdb_del(txn, expiry_, &k, &v);
  if (!(rc == MDB_NOTFOUND && !add)) check(rc, "update expiry index");
}

KvStore::PutCursor KvStore::put_cursor(MDB_txn* txn) const {
  Cursor cursor = open_cursor(txn, kv_, "open cursor");
  return PutCursor(cursor.release(), mdb_cursor_close);
}

// One B-tree search: the insert of a new key, or the search that finds the old record and
// leaves the cursor on it for the overwrite in place (MDB_CURRENT).
void KvStore::put(MDB_txn* txn, Db db, std::string_view key, std::string_view payload,
                  std::uint64_t expires_at_ms, MDB_cursor* cursor) const {
  if (key.size() > kMaxKeyBytes) throw StorageError("write key", MDB_BAD_VALSIZE);
  const StoredKey stored(db, key);
  const std::size_t header = expires_at_ms != 0 ? 9 : 1;
  Cursor own(nullptr, mdb_cursor_close);
  if (cursor == nullptr) {
    own = open_cursor(txn, kv_, "open cursor");
    cursor = own.get();
  }
  MDB_val k = stored.val();
  MDB_val v{header + payload.size(), nullptr};
  int rc = mdb_cursor_put(cursor, &k, &v, MDB_NOOVERWRITE | MDB_RESERVE);
  const bool existed = rc == MDB_KEYEXIST;
  std::uint64_t old_expiry = 0;
  if (existed) {
    old_expiry = decode_record(from_val(v)).expires_at_ms;  // v: the old record
    v = MDB_val{header + payload.size(), nullptr};
    rc = mdb_cursor_put(cursor, &k, &v, MDB_CURRENT | MDB_RESERVE);
  }
  check(rc, "write key");
  auto* out = static_cast<char*>(v.mv_data);
  out[0] = static_cast<char>(expires_at_ms != 0 ? kHasExpiry : 0);
  if (expires_at_ms != 0) store_le64(out + 1, expires_at_ms);
  if (!payload.empty()) std::memcpy(out + header, payload.data(), payload.size());
  if (old_expiry != expires_at_ms) {
    if (old_expiry != 0) index_expiry(txn, stored.view(), old_expiry, false);
    if (expires_at_ms != 0) index_expiry(txn, stored.view(), expires_at_ms, true);
  }
  if (!existed || (old_expiry != 0) != (expires_at_ms != 0)) {
    Counts counts = load_counts(txn, db);
    if (!existed) ++counts.keys;
    if (old_expiry != 0) --counts.volatile_keys;
    if (expires_at_ms != 0) ++counts.volatile_keys;
    store_counts(txn, db, counts);
  }
}

// The stored key is the database byte and the client's key.
std::uint64_t KvStore::stored_bytes(std::string_view key, const ValueView& value) {
  constexpr std::uint64_t kNodeHeader = 8;  // LMDB's MDB_node before the key
  constexpr std::uint64_t kPageSlot = 2;    // its offset in the page's slot array
  constexpr std::uint64_t kExpiryBytes = 8;
  const std::uint64_t stored_key = 1 + key.size();
  const std::uint64_t expiry = value.expires_at_ms != 0 ? kExpiryBytes : 0;
  const std::uint64_t record = kNodeHeader + kPageSlot + stored_key + 1 + expiry + value.payload.size();
  const std::uint64_t index_entry = expiry == 0 ? 0 : kNodeHeader + kPageSlot + kExpiryBytes + stored_key;
  return record + index_entry;
}

bool KvStore::erase(MDB_txn* txn, Db db, std::string_view key) const {
  const auto old = get(txn, db, key);
  if (!old) return false;
  const StoredKey stored(db, key);
  if (old->expires_at_ms != 0) index_expiry(txn, stored.view(), old->expires_at_ms, false);
  MDB_val k = stored.val();
  check(mdb_del(txn, kv_, &k, nullptr), "delete key");
  Counts counts = load_counts(txn, db);
  --counts.keys;
  if (old->expires_at_ms != 0) --counts.volatile_keys;
  store_counts(txn, db, counts);
  return true;
}

std::uint64_t KvStore::size(MDB_txn* txn, Db db) const {
  return load_counts(txn, db).keys;
}

std::uint64_t KvStore::volatile_keys(MDB_txn* txn, Db db) const {
  return load_counts(txn, db).volatile_keys;
}

std::uint64_t KvStore::size_all(MDB_txn* txn) const {
  MDB_stat stat{};
  check(mdb_stat(txn, kv_, &stat), "stat keyspace");
  return stat.ms_entries;
}

void KvStore::clear(MDB_txn* txn, Db db) const {
  const Cursor cursor = open_cursor(txn, kv_, "open cursor");
  const std::string start = stored_key(db, "");
  MDB_val k = to_val(start), v{};
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
  while (rc == MDB_SUCCESS && db_of(from_val(k)) == db) {
    const std::uint64_t expires_at_ms = decode_record(from_val(v)).expires_at_ms;
    if (expires_at_ms != 0) index_expiry(txn, std::string(from_val(k)), expires_at_ms, false);
    check(mdb_cursor_del(cursor.get(), 0), "delete key");
    rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);  // the record after the deleted one
  }
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) check(rc, "clear database");
  store_counts(txn, db, {});
}

void KvStore::clear_all(MDB_txn* txn) const {
  check(mdb_drop(txn, kv_, 0), "clear keyspace");
  check(mdb_drop(txn, expiry_, 0), "clear expiry index");
  check(mdb_drop(txn, counts_, 0), "clear key counts");
}

// Both databases' records are read into memory, both emptied, then written back crosswise.
void KvStore::swap(MDB_txn* txn, Db a, Db b) const {
  if (a == b) return;
  struct Record {
    std::string key, payload;
    std::uint64_t expires_at_ms;
  };
  const auto take_all = [&](Db db) {
    std::vector<Record> records;
    scan(txn, db, "", [&](std::string_view key, const ValueView& value) {
      records.push_back({std::string(key), std::string(value.payload), value.expires_at_ms});
      return true;
    });
    clear(txn, db);
    return records;
  };
  const std::vector<Record> from_a = take_all(a);
  const std::vector<Record> from_b = take_all(b);
  for (const Record& r : from_a) put(txn, b, r.key, r.payload, r.expires_at_ms);
  for (const Record& r : from_b) put(txn, a, r.key, r.payload, r.expires_at_ms);
}

std::optional<std::string> KvStore::scan(
    MDB_txn* txn, Db db, std::string_view from,
    const std::function<bool(std::string_view key, const ValueView& value)>& visit) const {
  const std::string start = stored_key(db, from);
  std::optional<std::string> next = scan_all(
      txn, start, [&](Db at, std::string_view key, const ValueView& value) {
        return at == db && visit(key, value);
      });
  // scan_all stopped at the first record past `db` (its visit returned false there), or at a
  // record of `db` the caller's visit refused, whose successor may lie past `db`.
  if (next && db_of(*next) != db) next.reset();
  if (next) next->erase(0, 1);
  return next;
}

std::optional<std::string> KvStore::scan_all(
    MDB_txn* txn, std::string_view from,
    const std::function<bool(Db db, std::string_view key, const ValueView& value)>& visit) const {
  const Cursor cursor = open_cursor(txn, kv_, "open cursor");
  std::optional<std::string> next;
  MDB_val k = to_val(from), v{};
  int rc = from.empty() ? mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST)
                        : mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
  while (rc == MDB_SUCCESS) {
    const std::string_view stored = from_val(k);
    if (!visit(db_of(stored), stored.substr(1), decode_record(from_val(v)))) {
      rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);
      if (rc == MDB_SUCCESS) next.emplace(from_val(k));
      break;
    }
    rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);
  }
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) check(rc, "scan keyspace");
  return next;
}

std::vector<KvStore::DueKey> KvStore::keys_due(MDB_txn* txn, std::uint64_t now_ms,
                                               std::size_t limit) const {
  const Cursor cursor = open_cursor(txn, expiry_, "open expiry cursor");
  std::vector<DueKey> due;
  MDB_val k{}, v{};
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST);
  while (rc == MDB_SUCCESS && due.size() < limit) {
    if (k.mv_size != 8) throw StorageError("corrupt expiry index", MDB_CORRUPTED);
    if (load_be64(static_cast<const char*>(k.mv_data)) > now_ms) break;
    const std::string_view stored = from_val(v);
    due.push_back({db_of(stored), std::string(stored.substr(1))});
    rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);
  }
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) check(rc, "scan expiry index");
  return due;
}

std::uint64_t KvStore::load_meta(MDB_txn* txn, std::string_view name) const {
  MDB_val k = to_val(name), v{};
  const int rc = mdb_get(txn, meta_, &k, &v);
  if (rc == MDB_NOTFOUND) return 0;
  check(rc, "read " + std::string(name));
  if (v.mv_size != 8) throw StorageError("corrupt " + std::string(name), MDB_CORRUPTED);
  return load_le64(static_cast<const char*>(v.mv_data));
}

void KvStore::store_meta(MDB_txn* txn, std::string_view name, std::uint64_t value) const {
  char bytes[8];
  store_le64(bytes, value);
  MDB_val k = to_val(name), v{8, bytes};
  check(mdb_put(txn, meta_, &k, &v, 0), "write " + std::string(name));
}

std::uint64_t KvStore::applied_index(MDB_txn* txn) const {
  return load_meta(txn, kAppliedIndexKey);
}

void KvStore::set_applied_index(MDB_txn* txn, std::uint64_t index) const {
  store_meta(txn, kAppliedIndexKey, index);
}

std::uint64_t KvStore::clock_ms(MDB_txn* txn) const {
  return load_meta(txn, kClockKey);
}

void KvStore::set_clock_ms(MDB_txn* txn, std::uint64_t now_ms) const {
  store_meta(txn, kClockKey, now_ms);
}

}  // namespace keepdb::storage
