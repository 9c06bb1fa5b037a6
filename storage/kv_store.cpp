// LMDB-backed key-value records and state machine metadata.
#include "storage/kv_store.h"

#include <cstring>
#include <memory>

namespace keepdb::storage {
namespace {

constexpr std::uint8_t kHasExpiry = 1;
constexpr std::string_view kAppliedIndexKey = "applied_index";
constexpr std::string_view kClockKey = "clock_ms";

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

}  // namespace

KvStore::KvStore(const Env& env)
    : env_(env),
      kv_(open_database(env, "kv")),
      expiry_(open_database(env, "expiry", MDB_DUPSORT)),
      meta_(open_database(env, "meta")) {}

std::optional<ValueView> KvStore::get(MDB_txn* txn, std::string_view key) const {
  if (key.empty() || key.size() > 511) {  // LMDB's key limit; such keys are never stored
    return std::nullopt;
  }
  MDB_val k = to_val(key), v{};
  const int rc = mdb_get(txn, kv_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check(rc, "read key");
  return decode_record(from_val(v));
}

void KvStore::index_expiry(MDB_txn* txn, std::string_view key, std::uint64_t expires_at_ms,
                           bool add) const {
  char deadline[8];
  store_be64(deadline, expires_at_ms);
  MDB_val k{sizeof deadline, deadline}, v = to_val(key);
  const int rc = add ? mdb_put(txn, expiry_, &k, &v, 0) : mdb_del(txn, expiry_, &k, &v);
  if (!(rc == MDB_NOTFOUND && !add)) check(rc, "update expiry index");
}

void KvStore::put(MDB_txn* txn, std::string_view key, std::string_view payload,
                  std::uint64_t expires_at_ms) const {
  const auto old = get(txn, key);
  const std::uint64_t old_expiry = old ? old->expires_at_ms : 0;
  if (old_expiry != expires_at_ms) {
    if (old_expiry != 0) index_expiry(txn, key, old_expiry, false);
    if (expires_at_ms != 0) index_expiry(txn, key, expires_at_ms, true);
  }
  const std::size_t header = expires_at_ms != 0 ? 9 : 1;
  MDB_val k = to_val(key);
  MDB_val v{header + payload.size(), nullptr};
  check(mdb_put(txn, kv_, &k, &v, MDB_RESERVE), "write key");
  auto* out = static_cast<char*>(v.mv_data);
  out[0] = static_cast<char>(expires_at_ms != 0 ? kHasExpiry : 0);
  if (expires_at_ms != 0) store_le64(out + 1, expires_at_ms);
  if (!payload.empty()) std::memcpy(out + header, payload.data(), payload.size());
}

std::uint64_t KvStore::stored_bytes(std::string_view key, const ValueView& value) {
  constexpr std::uint64_t kNodeHeader = 8;  // LMDB's MDB_node before the key
  constexpr std::uint64_t kPageSlot = 2;    // its offset in the page's slot array
  constexpr std::uint64_t kExpiryBytes = 8;
  const std::uint64_t expiry = value.expires_at_ms != 0 ? kExpiryBytes : 0;
  const std::uint64_t record = kNodeHeader + kPageSlot + key.size() + 1 + expiry + value.payload.size();
  const std::uint64_t index_entry = expiry == 0 ? 0 : kNodeHeader + kPageSlot + kExpiryBytes + key.size();
  return record + index_entry;
}

bool KvStore::erase(MDB_txn* txn, std::string_view key) const {
  const auto old = get(txn, key);
  if (!old) return false;
  if (old->expires_at_ms != 0) index_expiry(txn, key, old->expires_at_ms, false);
  MDB_val k = to_val(key);
  check(mdb_del(txn, kv_, &k, nullptr), "delete key");
  return true;
}

std::uint64_t KvStore::size(MDB_txn* txn) const {
  MDB_stat stat{};
  check(mdb_stat(txn, kv_, &stat), "stat keyspace");
  return stat.ms_entries;
}

void KvStore::clear(MDB_txn* txn) const {
  check(mdb_drop(txn, kv_, 0), "clear keyspace");
  check(mdb_drop(txn, expiry_, 0), "clear expiry index");
}

std::optional<std::string> KvStore::scan(
    MDB_txn* txn, std::string_view from,
    const std::function<bool(std::string_view key, const ValueView& value)>& visit) const {
  MDB_cursor* cursor = nullptr;
  check(mdb_cursor_open(txn, kv_, &cursor), "open cursor");
  const std::unique_ptr<MDB_cursor, decltype(&mdb_cursor_close)> close_cursor(cursor,
                                                                              mdb_cursor_close);
  std::optional<std::string> next;
  MDB_val k = to_val(from), v{};
  int rc = from.empty() ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
                        : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  while (rc == MDB_SUCCESS) {
    if (!visit(from_val(k), decode_record(from_val(v)))) {
      rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
      if (rc == MDB_SUCCESS) next.emplace(from_val(k));
      break;
    }
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) check(rc, "scan keyspace");
  return next;
}

std::vector<std::string> KvStore::keys_due(MDB_txn* txn, std::uint64_t now_ms,
                                           std::size_t limit) const {
  MDB_cursor* cursor = nullptr;
  check(mdb_cursor_open(txn, expiry_, &cursor), "open expiry cursor");
  const std::unique_ptr<MDB_cursor, decltype(&mdb_cursor_close)> close_cursor(cursor,
                                                                              mdb_cursor_close);
  std::vector<std::string> due;
  MDB_val k{}, v{};
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
  while (rc == MDB_SUCCESS && due.size() < limit) {
    if (k.mv_size != 8) throw StorageError("corrupt expiry index", MDB_CORRUPTED);
    if (load_be64(static_cast<const char*>(k.mv_data)) > now_ms) break;
    due.emplace_back(from_val(v));
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) check(rc, "scan expiry index");
  return due;
}

std::uint64_t KvStore::volatile_keys(MDB_txn* txn) const {
  MDB_stat stat{};
  check(mdb_stat(txn, expiry_, &stat), "stat expiry index");
  return stat.ms_entries;
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
