// KvFsm: apply / snapshot / restore of the key-value store for libraft.
#include "kernel/consensus/fsm/kv_fsm.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "kernel/commands/unappliable_batch.h"
#include "kernel/consensus/fsm/kv_snapshot.h"
#include "kernel/log/log.h"

namespace keepdb::consensus {

KvFsm::KvFsm(storage::Env& env, const storage::KvStore& kv, std::uint64_t max_value_bytes,
             unsigned databases, std::chrono::milliseconds commit_interval,
             std::uint64_t small_store_bytes)
    : env_(env),
      kv_(kv),
      small_store_bytes_(small_store_bytes),
      state_machine_(kv, max_value_bytes, databases),
      window_(kv.env(), {.max_age = commit_interval,  // 0: due after every entry
                         .max_units = kMaxWindowOps,
                         .max_bytes = kMaxWindowBytes}) {
  storage::ReadTxn txn(kv_.env());
  txn.begin();
  applied_index_ = kv_.applied_index(txn.get());
  committed_index_ = highest_applied_ = applied_index_;
  txn.end();
  commit_each_ = low_on_space();
  limit_window_ops();
  // A streamed image the store already holds (switched to before a crash) is of no use.
  const auto installed = read_kv_image_file_header(install_path());
  if (installed && installed->applied_index <= applied_index_) {
    std::error_code ignored;
    std::filesystem::remove(install_path(), ignored);
  }
  fsm_.version = 1;
  fsm_.data = this;
  fsm_.apply = [](raft_fsm* fsm, const raft_buffer* buf, void** result) {
    return self(fsm).apply(*buf, result);
  };
  fsm_.snapshot = [](raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs) {
    return self(fsm).snapshot(bufs, n_bufs);
  };
  fsm_.restore = [](raft_fsm* fsm, raft_buffer* buf) { return self(fsm).restore(*buf); };
}

int KvFsm::apply(const raft_buffer& buffer, void** result) {
  const std::uint64_t index = raft_last_applied(raft_) + 1;
  if (index <= applied_index_) {
    *result = const_cast<std::vector<commands::Reply>*>(&no_replies_);
    return 0;
  }
  // After a failure the store is behind raft's applied index: nothing applies on top of it
  // until raft restarts and replays from the committed index (kv_fsm.h).
  if (!failure_.ok()) return RAFT_IOERR;
  try {
    const auto& replies = state_machine_.apply_batch(
        window_.begin(), std::string_view(static_cast<const char*>(buffer.base), buffer.len),
        index);
    window_.add(replies.size(), buffer.len);
    applied_index_ = index;
    if (commit_each_ || window_.due(storage::WriteWindow::Clock::now())) commit_window();
    highest_applied_ = std::max(highest_applied_, index);  // answered from here on
    *result = const_cast<std::vector<commands::Reply>*>(&replies);
    return 0;
  } catch (const storage::StorageError& e) {
    // Every server must apply every committed entry: these are retried (kv_fsm.h).
    return fail(e);
  } catch (const commands::UnappliableBatch& e) {
    // Nor skipped: a replay would meet it again, so RaftNode stops the server (kv_fsm.h).
    return fail(util::IoStatus::failure(
        RAFT_CORRUPT, "cannot apply log entry " + std::to_string(index) + ": " + e.what()));
  }
}

void KvFsm::commit_window() {
  window_.commit();
  committed_index_ = applied_index_;
  commit_each_ = low_on_space();
  limit_window_ops();
}

void KvFsm::limit_window_ops() {
  const bool large = kv_.env().used_bytes() > small_store_bytes_;
  window_.set_max_units(large ? kMaxWindowOps : std::numeric_limits<std::uint64_t>::max());
}

bool KvFsm::low_on_space() const {
  std::error_code unknown;  // then: a window
  const auto space = std::filesystem::space(env_.path(), unknown);
  return !unknown && space.available < kLowSpaceBytes;
}

void KvFsm::checkpoint_if_due() {
  if (window_.due(storage::WriteWindow::Clock::now())) checkpoint();
}

bool KvFsm::checkpoint() {
  try {
    commit_window();
    return true;
  } catch (const storage::StorageError& e) {
    fail(e);  // RaftNode logs the cause once
    return false;
  }
}

int KvFsm::fail(const storage::StorageError& error) {
  const bool no_space =
      error.code() == ENOSPC || error.code() == EDQUOT || error.code() == MDB_MAP_FULL;
  return fail(util::IoStatus::failure(no_space ? RAFT_NOSPACE : RAFT_IOERR, error.what()));
}

int KvFsm::fail(util::IoStatus cause) {
  window_.abort();
  applied_index_ = committed_index_;
  commit_each_ = true;
  if (failure_.ok()) failure_ = std::move(cause);
  return RAFT_IOERR;
}

int KvFsm::snapshot(raft_buffer* bufs[], unsigned* n_bufs) {
  if (!checkpoint()) return RAFT_BUSY;  // the failure restarts raft (kv_fsm.h)
  try {
    env_.sync();  // the checkpoint: the store is durable up to this descriptor (kv_fsm.h)
    storage::ReadTxn txn(kv_.env());
    txn.begin();
    const std::vector<std::uint8_t> descriptor =
        encode_kv_descriptor(applied_index_, kv_.clock_ms(txn.get()));
    txn.end();
    auto* array = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
    void* data = raft_malloc(descriptor.size());
    if (array == nullptr || data == nullptr) {
      raft_free(array);
      raft_free(data);
      return RAFT_BUSY;
    }
    std::memcpy(data, descriptor.data(), descriptor.size());
    array[0] = raft_buffer{data, descriptor.size()};
    *bufs = array;
    *n_bufs = 1;
    return 0;
  } catch (const storage::StorageError& e) {
    log::error("snapshot skipped: ", e.what());
    return RAFT_BUSY;  // the only error raft tolerates here; it retries after a later apply
  }
}

int KvFsm::restore(raft_buffer& buffer) {
  if (!checkpoint()) return RAFT_IOERR;
  const std::span<const std::uint8_t> data(static_cast<const std::uint8_t*>(buffer.base),
                                           buffer.len);
  const auto header = read_kv_snapshot_header(data);
  if (!header) {
    log::error("refusing a malformed snapshot");
    return RAFT_MALFORMED;
  }
  if (header->descriptor && header->applied_index > applied_index_) {
    int rv = 0;
    if (restore_installed(header->applied_index, rv)) {
      if (rv == 0) raft_free(buffer.base);
      return rv;
    }
    log::error("the key-value store (applied index ", applied_index_,
               ") is behind its snapshot (applied index ", header->applied_index,
               "): its newest transactions were lost and the log no longer holds them; wipe "
               "the data directory and let the node rejoin from the cluster");
    return RAFT_CORRUPT;
  }
  if (!header->descriptor && header->applied_index > applied_index_) {
    const int rv = replace_store(
        [&](MDB_txn* txn) { return restore_kv_snapshot(kv_, txn, data); }, "a snapshot image");
    if (rv != 0) return rv;  // raft frees the buffer
    applied_index_ = committed_index_ = header->applied_index;
    highest_applied_ = std::max(highest_applied_, applied_index_);
  }
  raft_free(buffer.base);
  return 0;
}

int KvFsm::replace_store(const std::function<bool(MDB_txn*)>& write, const char* source) {
  try {
    storage::WriteTxn txn(kv_.env());
    if (!write(txn.get())) {
      log::error("refusing ", source, ": it is malformed");
      return RAFT_MALFORMED;
    }
    txn.commit();
    env_.sync();
  } catch (const storage::StorageError& e) {
    return fail(e);
  }
  log::info("replaced the key-value store by ", source);
  return 0;
}

bool KvFsm::restore_installed(std::uint64_t index, int& rv) {
  const std::filesystem::path path = install_path();
  const auto installed = read_kv_image_file_header(path);
  if (!installed || installed->applied_index < index) return false;
  rv = replace_store([&](MDB_txn* txn) { return restore_kv_image_file(kv_, txn, path); },
                     "the streamed snapshot image");
  if (rv != 0) return true;
  std::error_code ignored;
  std::filesystem::remove(path, ignored);  // the store holds it now; a leftover is dropped later
  applied_index_ = committed_index_ = installed->applied_index;
  highest_applied_ = std::max(highest_applied_, applied_index_);
  return true;
}

}  // namespace keepdb::consensus
