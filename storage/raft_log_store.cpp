// RaftLogStore: LMDB transactions for term, vote, snapshot and log metadata; the entries in
// segment files (migrated there from LMDB once); the writer thread's group commit.
#include "storage/raft_log_store.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "util/configuration_codec.h"
#include "storage/data_dir.h"
#include "storage/raft_log_records.h"
#include "storage/snapshot_file.h"

namespace keepdb::storage {
namespace {

using storage::LoadedLog;
using util::RaftSnapshotPtr;

constexpr char kTermKey[] = "term";
constexpr char kVoteKey[] = "vote";
constexpr char kSnapshotKey[] = "snapshot";
constexpr char kLogKey[] = "log";

std::span<const std::uint8_t> bytes_of(const MDB_val& value) {
  return {static_cast<const std::uint8_t*>(value.mv_data), value.mv_size};
}

MDB_val value_of(std::span<const std::uint8_t> bytes) {
  return MDB_val{bytes.size(), const_cast<std::uint8_t*>(bytes.data())};
}

util::IoStatus status_from(const std::exception& error) {
  int code = RAFT_IOERR;
  if (const auto* lmdb = dynamic_cast<const StorageError*>(&error)) {
    if (lmdb->code() == MDB_MAP_FULL) code = RAFT_NOSPACE;
    if (lmdb->code() == MDB_CORRUPTED || lmdb->code() == MDB_INVALID ||
        lmdb->code() == MDB_PAGE_NOTFOUND) {
      code = RAFT_CORRUPT;
    }
  }
  return util::IoStatus::failure(code, std::string("raft log store: ") + error.what());
}

// status_from for a failed write (`what`) of the LMDB environment in `dir`: the message names
// its file, and the errno when LMDB passes a system error through (its own codes are negative).
util::IoStatus write_status_from(const std::exception& error, const std::filesystem::path& dir,
                                 std::string_view what) {
  util::IoStatus status = status_from(error);
  status.message = "raft log store " + (dir / "data.mdb").string() + ": " + std::string(what) +
                   ": " + error.what();
  const auto* lmdb = dynamic_cast<const StorageError*>(&error);
  if (lmdb != nullptr && lmdb->code() > 0) {
    const char* name = strerrorname_np(lmdb->code());
    status.message += " (errno " + std::to_string(lmdb->code()) +
                      (name != nullptr ? std::string(" ") + name : std::string()) + ")";
  }
  return status;
}

class Cursor {
 public:
  Cursor(MDB_txn* txn, MDB_dbi dbi) { check(mdb_cursor_open(txn, dbi, &cursor_), "open cursor"); }
  ~Cursor() { mdb_cursor_close(cursor_); }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  // False when there is no such record.
  bool get(MDB_val& key, MDB_val& value, MDB_cursor_op op) {
    const int rc = mdb_cursor_get(cursor_, &key, &value, op);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "read raft log cursor");
    return true;
  }

 private:
  MDB_cursor* cursor_ = nullptr;
};

bool get_meta(MDB_txn* txn, MDB_dbi meta_db, const char* name, MDB_val& value) {
  MDB_val key{std::char_traits<char>::length(name), const_cast<char*>(name)};
  const int rc = mdb_get(txn, meta_db, &key, &value);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, std::string("read raft metadata ") + name);
  return true;
}

void put_meta(MDB_txn* txn, MDB_dbi meta_db, const char* name,
              std::span<const std::uint8_t> bytes) {
  MDB_val key{std::char_traits<char>::length(name), const_cast<char*>(name)};
  MDB_val value = value_of(bytes);
  check(mdb_put(txn, meta_db, &key, &value, 0), std::string("write raft metadata ") + name);
}

// A missing term or vote reads as 0.
util::IoStatus read_u64_meta(MDB_txn* txn, MDB_dbi meta_db, const char* name, std::uint64_t& value) {
  MDB_val stored;
  value = 0;
  if (!get_meta(txn, meta_db, name, stored)) return util::IoStatus::success();
  return decode_u64_record(bytes_of(stored), value);
}

void put_u64_meta(MDB_txn* txn, MDB_dbi meta_db, const char* name, std::uint64_t value) {
  put_meta(txn, meta_db, name, encode_u64_record(value));
}

// A missing record reads as generation 0 with every entry live.
util::IoStatus read_log_meta(MDB_txn* txn, MDB_dbi meta_db, LogMeta& meta) {
  MDB_val stored;
  meta = LogMeta{};
  if (!get_meta(txn, meta_db, kLogKey, stored)) return util::IoStatus::success();
  return decode_log_meta(bytes_of(stored), meta);
}

util::IoStatus read_snapshot_meta(MDB_txn* txn, MDB_dbi meta_db, std::optional<SnapshotMeta>& meta) {
  MDB_val stored;
  meta.reset();
  if (!get_meta(txn, meta_db, kSnapshotKey, stored)) return util::IoStatus::success();
  return decode_snapshot_meta(bytes_of(stored), meta.emplace());
}

util::IoStatus ignore_entry(const LogRecord&) {
  return util::IoStatus::success();
}

std::span<const std::uint8_t> payload_of(const raft_entry& entry) {
  return {static_cast<const std::uint8_t*>(entry.buf.base), entry.buf.len};
}

// The newest snapshot with its data and configuration, or null when there is none; `meta`
// receives its metadata.
util::IoStatus load_snapshot(MDB_txn* txn, MDB_dbi meta_db, const std::filesystem::path& directory,
                       util::RaftSnapshotPtr& out, SnapshotMeta& meta) {
  out.reset();
  std::optional<SnapshotMeta> stored;
  if (util::IoStatus status = read_snapshot_meta(txn, meta_db, stored); !status.ok()) return status;
  if (!stored) return util::IoStatus::success();
  meta = std::move(*stored);
  if (meta.data_bytes > std::numeric_limits<std::size_t>::max() / 2) {
    return util::IoStatus::failure(RAFT_CORRUPT, "snapshot metadata claims an impossible size");
  }
  util::RaftSnapshotPtr snapshot = util::allocate_snapshot(meta.data_bytes);
  if (!snapshot) return util::IoStatus::failure(RAFT_NOMEM, "out of memory reading the snapshot");
  snapshot->index = meta.index;
  snapshot->term = meta.term;
  snapshot->configuration_index = meta.configuration_index;
  util::ByteReader reader(meta.configuration);
  util::IoStatus status = util::decode_configuration(reader, snapshot->configuration);
  if (!status.ok() || reader.remaining() != 0) {
    return util::IoStatus::failure(RAFT_CORRUPT, "corrupt snapshot configuration " + status.message);
  }
  status = read_snapshot_file(
      directory, meta.file_sequence, meta.data_crc32,
      {static_cast<std::uint8_t*>(snapshot->bufs[0].base), snapshot->bufs[0].len});
  if (!status.ok()) return status;
  out = std::move(snapshot);
  return util::IoStatus::success();
}

}  // namespace

std::uint64_t segment_bytes_for(std::uint64_t snapshot_threshold_bytes) {
  return std::clamp<std::uint64_t>(snapshot_threshold_bytes / 4, 1ull << 20, 64ull << 20);
}

util::IoStatus RaftLogStore::open(const RaftLogStoreOptions& options,
                            std::unique_ptr<RaftLogStore>& out) {
  try {
    prepare_private_subdir(options.directory);
    prepare_private_subdir(options.directory / "snapshots");
    EnvOptions env_options;
    env_options.map_size_bytes = options.map_size_bytes;
    out.reset(new RaftLogStore(options, std::make_unique<Env>(options.directory, env_options)));
    return util::IoStatus::success();
  } catch (const std::exception& error) {
    return status_from(error);
  }
}

RaftLogStore::RaftLogStore(const RaftLogStoreOptions& options, std::unique_ptr<Env> env)
    : snapshot_directory_(options.directory / "snapshots"),
      log_options_{options.directory / "log", options.segment_bytes},
      env_(std::move(env)),
      entries_db_(open_database(*env_, "entries")),
      meta_db_(open_database(*env_, "meta")) {}

RaftLogStore::~RaftLogStore() = default;

util::IoStatus RaftLogStore::sticky_error() const {
  std::lock_guard lock(error_mutex_);
  return sticky_error_;
}

util::IoStatus RaftLogStore::failure() const {
  return sticky_error();
}

bool RaftLogStore::reset_after_failure() {
  std::lock_guard lock(error_mutex_);
  sticky_error_ = util::IoStatus::success();
  log_.reset();  // the next load() reopens the segments and repairs a torn tail
  return true;
}

util::IoStatus RaftLogStore::remember_failure(util::IoStatus status) {
  std::lock_guard lock(error_mutex_);
  if (sticky_error_.ok()) sticky_error_ = status;
  return status;
}

template <typename Write>
util::IoStatus RaftLogStore::write_transaction(Write write, std::string_view what) {
  if (util::IoStatus error = sticky_error(); !error.ok()) return error;
  try {
    WriteTxn txn(*env_);
    util::IoStatus status = write(txn.get());
    if (status.ok()) txn.commit();  // durable: the environment syncs on commit
    return status;
  } catch (const std::exception& error) {
    return remember_failure(write_status_from(error, env_->path(), what));
  }
}

util::IoStatus RaftLogStore::open_log(const SegmentLog::Visitor& visit) {
  log_.reset();
  bool has_old_entries = false;
  try {
    ReadTxn txn(*env_);
    txn.begin();
    if (util::IoStatus status = read_log_meta(txn.get(), meta_db_, log_meta_); !status.ok()) {
      return status;
    }
    MDB_stat stat;
    check(mdb_stat(txn.get(), entries_db_, &stat), "stat raft log");
    has_old_entries = stat.ms_entries != 0;
  } catch (const std::exception& error) {
    return status_from(error);
  }
  if (has_old_entries) {
    if (util::IoStatus status = migrate_old_entries(); !status.ok()) return status;
  }
  return SegmentLog::open(log_options_, log_meta_.generation, log_meta_.first_live_index, visit,
                          log_);
}

util::IoStatus RaftLogStore::migrate_old_entries() {
  const LogMeta migrated{log_meta_.generation + 1, 0};
  // Opening the current generation (empty in an old-format store) first deletes whatever an
  // interrupted migration left in the next one, so that it starts empty.
  std::unique_ptr<SegmentLog> log;
  util::IoStatus status = SegmentLog::open(log_options_, log_meta_.generation, 0, ignore_entry, log);
  if (status.ok()) {
    status = SegmentLog::open(log_options_, migrated.generation, 0, ignore_entry, log);
  }
  raft_index first_index = 0;
  try {
    ReadTxn txn(*env_);
    txn.begin();
    Cursor cursor(txn.get(), entries_db_);
    MDB_val key;
    MDB_val value;
    for (bool found = status.ok() && cursor.get(key, value, MDB_FIRST); found && status.ok();
         found = cursor.get(key, value, MDB_NEXT)) {
      raft_index index = 0;
      EntryRecord record;
      if (status = parse_entry_key(bytes_of(key), index); !status.ok()) break;
      if (status = read_entry_record(bytes_of(value), record); !status.ok()) break;
      if (first_index == 0) first_index = index;
      if (index != log->next_index() && log->next_index() != 0) {
        status = util::IoStatus::failure(
            RAFT_CORRUPT, "corrupt raft log: entry " + std::to_string(index) + " follows a gap");
        break;
      }
      status = log->append({index, record.term, record.type, record.payload});
    }
  } catch (const std::exception& error) {
    return status_from(error);
  }
  if (status.ok()) status = log->sync();
  if (!status.ok()) return status;
  // The segments are durable: switching to them and emptying the old table is one commit.
  status = write_transaction([&](MDB_txn* txn) {
    check(mdb_drop(txn, entries_db_, 0), "empty the migrated raft log");
    put_meta(txn, meta_db_, kLogKey, encode_log_meta({migrated.generation, first_index}));
    return util::IoStatus::success();
  });
  if (status.ok()) log_meta_ = {migrated.generation, first_index};
  return status;
}

util::IoStatus RaftLogStore::open_log_if_needed() {
  if (log_) return util::IoStatus::success();
  return open_log(ignore_entry);
}

util::IoStatus RaftLogStore::load(storage::LoadedLog& out) {
  SnapshotMeta snapshot_meta;
  try {
    ReadTxn txn(*env_);
    txn.begin();
    std::uint64_t term = 0;
    std::uint64_t vote = 0;
    util::IoStatus status = read_u64_meta(txn.get(), meta_db_, kTermKey, term);
    if (status.ok()) status = read_u64_meta(txn.get(), meta_db_, kVoteKey, vote);
    if (status.ok()) {
      status = load_snapshot(txn.get(), meta_db_, snapshot_directory_, out.snapshot, snapshot_meta);
    }
    if (!status.ok()) return status;
    out.term = term;
    out.voted_for = vote;
  } catch (const std::exception& error) {
    return status_from(error);
  }
  last_snapshot_sequence_ = snapshot_meta.file_sequence;
  util::IoStatus status = open_log([&out](const LogRecord& record) {
    return out.add_entry(record.index, record.term, record.type, record.payload);
  });
  if (status.ok()) {
    out.repair = log_->repair();
    status = out.finish(next_index_);
  }
  // Every stored entry may lie below the snapshot (a follower can apply entries it has not yet
  // synced): they are dead, and appends continue after the snapshot.
  if (status.ok() && log_->next_index() != 0 && log_->next_index() != next_index_) {
    status = log_->truncate(0);
  }
  return status;
}

util::IoStatus RaftLogStore::sync_log_write(util::IoStatus status) {
  if (status.ok()) {
    const auto started = std::chrono::steady_clock::now();
    status = log_->sync();
    sync_latency_.observe(std::chrono::steady_clock::now() - started);
  }
  return status.ok() ? status : remember_failure(status);
}

util::IoStatus RaftLogStore::bootstrap(const raft_entry& first_entry) {
  if (util::IoStatus error = sticky_error(); !error.ok()) return error;
  const util::IoStatus exists = util::IoStatus::failure(RAFT_CANTBOOTSTRAP, "raft state already exists");
  try {
    ReadTxn txn(*env_);
    txn.begin();
    std::uint64_t term = 0;
    std::uint64_t vote = 0;
    std::optional<SnapshotMeta> snapshot;
    util::IoStatus status = read_u64_meta(txn.get(), meta_db_, kTermKey, term);
    if (status.ok()) status = read_u64_meta(txn.get(), meta_db_, kVoteKey, vote);
    if (status.ok()) status = read_snapshot_meta(txn.get(), meta_db_, snapshot);
    if (!status.ok()) return status;
    // Every node that ever stored an entry has a term: a restarting node is refused here
    // without scanning its segments, which load() then reads (and checks) once.
    if (term != 0 || vote != 0 || snapshot) return exists;
  } catch (const std::exception& error) {
    return status_from(error);
  }
  if (util::IoStatus status = open_log_if_needed(); !status.ok()) return status;
  if (!log_->empty()) return exists;
  // The entry goes into the next generation, made durable, and the one transaction that
  // writes term 1 also makes that generation current. A crash in between leaves the store
  // empty (opening the current generation deletes the next one's files), so bootstrap can
  // simply run again.
  const LogMeta bootstrapped{log_meta_.generation + 1, 0};
  std::unique_ptr<SegmentLog> log;
  util::IoStatus status = SegmentLog::open(log_options_, bootstrapped.generation, 0, ignore_entry, log);
  if (status.ok()) {
    status = log->append({1, first_entry.term, first_entry.type, payload_of(first_entry)});
  }
  if (status.ok()) status = log->sync();
  if (!status.ok()) return remember_failure(status);
  status = write_transaction([&](MDB_txn* txn) {
    put_u64_meta(txn, meta_db_, kTermKey, 1);
    put_u64_meta(txn, meta_db_, kVoteKey, 0);
    put_meta(txn, meta_db_, kLogKey, encode_log_meta(bootstrapped));
    return util::IoStatus::success();
  });
  if (status.ok()) {
    log_ = std::move(log);
    log_meta_ = bootstrapped;
  }
  return status;
}

util::IoStatus RaftLogStore::recover(const raft_buffer& configuration) {
  if (util::IoStatus error = sticky_error(); !error.ok()) return error;
  if (util::IoStatus status = open_log_if_needed(); !status.ok()) return status;
  raft_entry entry{};
  entry.type = RAFT_CHANGE;
  entry.buf = configuration;
  raft_index last_index = 0;
  if (!log_->empty()) {
    last_index = log_->next_index() - 1;
    entry.term = log_->last_term();
  } else {
    try {
      ReadTxn txn(*env_);
      txn.begin();
      std::optional<SnapshotMeta> snapshot;
      if (util::IoStatus status = read_snapshot_meta(txn.get(), meta_db_, snapshot); !status.ok()) {
        return status;
      }
      if (snapshot) {
        last_index = snapshot->index;
        entry.term = snapshot->term;
      }
    } catch (const std::exception& error) {
      return status_from(error);
    }
  }
  entry.term = std::max<raft_term>(entry.term, 1);
  return sync_log_write(log_->append({last_index + 1, entry.term, entry.type, payload_of(entry)}));
}

util::IoStatus RaftLogStore::set_term(raft_term term) {
  return write_transaction([&](MDB_txn* txn) {
    put_u64_meta(txn, meta_db_, kTermKey, term);
    put_u64_meta(txn, meta_db_, kVoteKey, 0);
    return util::IoStatus::success();
  }, "persist the term " + std::to_string(term));
}

util::IoStatus RaftLogStore::set_vote(raft_id server_id) {
  return write_transaction([&](MDB_txn* txn) {
    put_u64_meta(txn, meta_db_, kVoteKey, server_id);
    return util::IoStatus::success();
  }, "persist the vote for " + std::to_string(server_id));
}

void RaftLogStore::append(std::span<const raft_entry> entries, Done done) {
  enqueue(AppendOp{entries, std::move(done)});
}

void RaftLogStore::truncate(raft_index index) {
  enqueue(TruncateOp{index});
}

void RaftLogStore::snapshot_put(unsigned trailing, const raft_snapshot& snapshot, Done done) {
  enqueue(SnapshotPutOp{trailing, &snapshot, std::move(done)});
}

void RaftLogStore::snapshot_get(SnapshotDone done) {
  enqueue(SnapshotGetOp{std::move(done)});
}

void RaftLogStore::drain(std::function<void()> done) {
  enqueue(DrainOp{std::move(done)});
}

// Inline (see set_write_inline) only for log writes, and only when the writer thread has
// nothing queued or running, so operations still complete in submission order. Every
// operation is queued from the raft thread, so nothing can be queued during an inline write;
// the mutex also hands the writer thread's state (log_, next_index_) over to this thread.
void RaftLogStore::enqueue(Operation operation) {
  const bool log_write =
      std::holds_alternative<AppendOp>(operation) || std::holds_alternative<TruncateOp>(operation);
  bool run_here = false;
  bool schedule = false;
  {
    std::lock_guard lock(queue_mutex_);
    run_here = write_inline_ && log_write && queue_.empty() && writer_tasks_ == 0;
    if (!run_here) {
      queue_.push_back(std::move(operation));
      schedule = !std::exchange(write_scheduled_, true);
      if (schedule) ++writer_tasks_;
    }
  }
  if (run_here) {
    write_log_batch({&operation, 1});
  } else if (schedule) {
    writer_.submit([this] {
      write_queued();
      std::lock_guard lock(queue_mutex_);
      --writer_tasks_;
    });
  }
}

void RaftLogStore::write_queued() {
  std::vector<Operation> operations;
  {
    std::lock_guard lock(queue_mutex_);
    operations.swap(queue_);
    write_scheduled_ = false;
  }
  const auto is_log_write = [](const Operation& operation) {
    return std::holds_alternative<AppendOp>(operation) ||
           std::holds_alternative<TruncateOp>(operation);
  };
  for (auto position = operations.begin(); position != operations.end();) {
    if (is_log_write(*position)) {
      const auto batch_end = std::find_if_not(position, operations.end(), is_log_write);
      write_log_batch({position, batch_end});
      position = batch_end;
      continue;
    }
    if (const auto* put = std::get_if<SnapshotPutOp>(&*position)) write_snapshot(*put);
    if (const auto* get = std::get_if<SnapshotGetOp>(&*position)) read_snapshot(*get);
    if (const auto* drain = std::get_if<DrainOp>(&*position)) drain->done();
    ++position;
  }
}

void RaftLogStore::write_log_batch(std::span<Operation> batch) {
  raft_index next_index = next_index_;
  util::IoStatus status = sticky_error();
  if (status.ok() && !log_) status = util::IoStatus::failure(RAFT_IOERR, "raft log written before load");
  for (auto operation = batch.begin(); status.ok() && operation != batch.end(); ++operation) {
    if (const auto* append = std::get_if<AppendOp>(&*operation)) {
      for (auto entry = append->entries.begin(); status.ok() && entry != append->entries.end();
           ++entry) {
        status = log_->append({next_index++, entry->term, entry->type, payload_of(*entry)});
      }
    } else {
      next_index = std::get<TruncateOp>(*operation).index;
      status = log_->truncate(next_index);
    }
  }
  status = sync_log_write(status);
  if (status.ok()) next_index_ = next_index;
  for (const Operation& operation : batch) {
    if (const auto* append = std::get_if<AppendOp>(&operation)) append->done(status);
  }
}

void RaftLogStore::write_snapshot(const SnapshotPutOp& operation) {
  const raft_snapshot& snapshot = *operation.snapshot;
  if (util::IoStatus error = sticky_error(); !error.ok()) return operation.done(error);
  SnapshotMeta meta;
  meta.index = snapshot.index;
  meta.term = snapshot.term;
  meta.configuration_index = snapshot.configuration_index;
  meta.file_sequence = last_snapshot_sequence_ + 1;
  meta.data_bytes = util::snapshot_data_bytes(snapshot);
  util::ByteWriter writer(meta.configuration);
  if (util::IoStatus status = util::encode_configuration(snapshot.configuration, writer);
      !status.ok()) {
    return operation.done(status);
  }
  util::IoStatus status = write_snapshot_file(snapshot_directory_, meta.file_sequence,
                                        {snapshot.bufs, snapshot.n_bufs}, meta.data_crc32);
  if (!status.ok()) return operation.done(remember_failure(status));
  LogMeta log_meta = log_meta_;
  if (operation.trailing == 0) {
    // Installing a leader's snapshot discards the whole log: a new generation starts after it.
    log_meta = {log_meta_.generation + 1, snapshot.index + 1};
  } else if (snapshot.index > operation.trailing) {
    log_meta.first_live_index =
        std::max(log_meta.first_live_index, snapshot.index - operation.trailing + 1);
  }
  status = write_transaction([&](MDB_txn* txn) {
    put_meta(txn, meta_db_, kSnapshotKey, encode_snapshot_meta(meta));
    put_meta(txn, meta_db_, kLogKey, encode_log_meta(log_meta));
    return util::IoStatus::success();
  });
  if (!status.ok()) return operation.done(status);
  last_snapshot_sequence_ = meta.file_sequence;
  log_meta_ = log_meta;
  remove_other_snapshot_files(snapshot_directory_, meta.file_sequence);
  if (operation.trailing == 0) {
    next_index_ = snapshot.index + 1;
    // Opening the new, empty generation deletes the old one's files.
    status = SegmentLog::open(log_options_, log_meta.generation, log_meta.first_live_index,
                              ignore_entry, log_);
    if (!status.ok()) status = remember_failure(status);
  } else {
    log_->drop_prefix(log_meta.first_live_index - 1);
  }
  operation.done(status);
}

void RaftLogStore::read_snapshot(const SnapshotGetOp& operation) {
  util::RaftSnapshotPtr snapshot;
  SnapshotMeta meta;
  util::IoStatus status;
  try {
    ReadTxn txn(*env_);
    txn.begin();
    status = load_snapshot(txn.get(), meta_db_, snapshot_directory_, snapshot, meta);
  } catch (const std::exception& error) {
    status = status_from(error);
  }
  if (status.ok() && !snapshot) status = util::IoStatus::failure(RAFT_NOTFOUND, "no snapshot stored");
  operation.done(std::move(status), std::move(snapshot));
}

}  // namespace keepdb::storage
