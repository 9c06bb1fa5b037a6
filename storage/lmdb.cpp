// LMDB RAII wrappers: environment open/close, write and read transactions, error mapping.
#include "storage/lmdb.h"

namespace keepdb::storage {

StorageError::StorageError(std::string_view what, int lmdb_code)
    : std::runtime_error(std::string(what) + ": " + mdb_strerror(lmdb_code)), code_(lmdb_code) {}

void check(int rc, std::string_view what) {
  if (rc != MDB_SUCCESS) throw StorageError(what, rc);
}

Env::Env(const std::filesystem::path& dir, const EnvOptions& options) : path_(dir) {
  check(mdb_env_create(&env_), "mdb_env_create");
  try {
    check(mdb_env_set_maxdbs(env_, options.max_dbs), "mdb_env_set_maxdbs");
    check(mdb_env_set_mapsize(env_, options.map_size_bytes), "mdb_env_set_mapsize");
    check(mdb_env_set_maxreaders(env_, 126), "mdb_env_set_maxreaders");
    const unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | options.extra_flags;
    check(mdb_env_open(env_, dir.c_str(), flags, 0600), "opening LMDB environment in " + dir.string());
  } catch (...) {
    mdb_env_close(env_);
    throw;
  }
}

Env::~Env() { mdb_env_close(env_); }

void Env::sync() { check(mdb_env_sync(env_, 1), "mdb_env_sync"); }

std::uint64_t Env::used_bytes() const {
  MDB_envinfo info{};
  MDB_stat stat{};
  check(mdb_env_info(env_, &info), "mdb_env_info");
  check(mdb_env_stat(env_, &stat), "mdb_env_stat");
  return (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
}

WriteTxn::WriteTxn(const Env& env) : env_(env) {
  check(mdb_txn_begin(env.get(), nullptr, 0, &txn_), "begin write transaction");
}

WriteTxn::~WriteTxn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}

void WriteTxn::commit() {
  MDB_txn* txn = txn_;
  txn_ = nullptr;  // mdb_txn_commit frees the handle even when it fails
  check(mdb_txn_commit(txn), "commit write transaction in " + env_.path().string());
}

ReadTxn::ReadTxn(const Env& env) {
  check(mdb_txn_begin(env.get(), nullptr, MDB_RDONLY, &txn_), "begin read transaction");
  mdb_txn_reset(txn_);
}

ReadTxn::~ReadTxn() { mdb_txn_abort(txn_); }

void ReadTxn::begin() {
  if (active_) return;
  check(mdb_txn_renew(txn_), "renew read transaction");
  active_ = true;
}

void ReadTxn::end() {
  if (!active_) return;
  mdb_txn_reset(txn_);
  active_ = false;
}

MDB_dbi open_database(const Env& env, const char* name, unsigned flags) {
  WriteTxn txn(env);
  MDB_dbi dbi = 0;
  check(mdb_dbi_open(txn.get(), name, MDB_CREATE | flags, &dbi),
        std::string("open database ") + name);
  txn.commit();
  return dbi;
}

}  // namespace keepdb::storage
