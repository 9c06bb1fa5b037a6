// Thin RAII wrappers over LMDB: the environment, transactions and named databases.
// Every LMDB error becomes a StorageError carrying LMDB's message and what was attempted.
//
// Thread-safety: an Env may be shared by threads. A WriteTxn belongs to the thread that
// began it. Envs are opened with MDB_NOTLS, so a ReadTxn may be reset/renewed and used by
// one thread at a time, not necessarily the one that created it.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace keepdb::storage {

class StorageError : public std::runtime_error {
 public:
  StorageError(std::string_view what, int lmdb_code);
  int code() const { return code_; }

 private:
  int code_;
};

// Throws StorageError when rc != MDB_SUCCESS.
void check(int rc, std::string_view what);

inline MDB_val to_val(std::string_view bytes) {
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}
inline std::string_view from_val(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

struct EnvOptions {
  std::uint64_t map_size_bytes = 1ull << 30;
  unsigned max_dbs = 8;
  unsigned extra_flags = 0;  // e.g. MDB_NOMETASYNC
};

class Env {
 public:
  // Opens (creating if needed) the environment in directory `dir`, files mode 0600.
  Env(const std::filesystem::path& dir, const EnvOptions& options);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MDB_env* get() const { return env_; }
  const std::filesystem::path& path() const { return path_; }
  // Flushes every committed transaction to disk (for NOSYNC-style environments).
  void sync();
  // Bytes of the data file in use as of the last commit: its pages up to the highest one
  // allocated, free ones included.
  std::uint64_t used_bytes() const;

 private:
  std::filesystem::path path_;
  MDB_env* env_ = nullptr;
};

class WriteTxn {
 public:
  explicit WriteTxn(const Env& env);
  ~WriteTxn();  // aborts if not committed
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;

  MDB_txn* get() const { return txn_; }
  // A failure names the environment's directory ("commit write transaction in <dir>: ...").
  void commit();

 private:
  const Env& env_;
  MDB_txn* txn_ = nullptr;
};

// A reusable read-only transaction: begin() takes a fresh snapshot, end() releases it.
class ReadTxn {
 public:
  explicit ReadTxn(const Env& env);
  ~ReadTxn();
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;

  void begin();  // renews the snapshot (no-op if already active)
  void end();    // resets; the handle stays allocated for the next begin()
  MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
  bool active_ = false;
};

// Opens (creating) a named database inside a short write transaction. `flags` are
// mdb_dbi_open flags besides MDB_CREATE (e.g. MDB_DUPSORT); they must match every open.
MDB_dbi open_database(const Env& env, const char* name, unsigned flags = 0);

}  // namespace keepdb::storage
