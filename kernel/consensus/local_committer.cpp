// Single-node group commit into LMDB.
#include "kernel/consensus/local_committer.h"

#include <boost/asio/post.hpp>

#include "kernel/log/log.h"

namespace keepdb::consensus {

LocalCommitter::LocalCommitter(boost::asio::io_context& network, const storage::KvStore& kv,
                               std::uint64_t max_value_bytes)
    : network_(network), kv_(kv), state_machine_(kv, max_value_bytes) {
  storage::ReadTxn txn(kv_.env());
  txn.begin();
  next_index_ = kv_.applied_index(txn.get()) + 1;
  txn.end();
  thread_ = std::thread([this] { commit_loop(); });
}

LocalCommitter::~LocalCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void LocalCommitter::propose(commands::Args args, Completion done) {
  pending_ops_.add(args);
  pending_completions_.push_back(std::move(done));
  schedule_flush();
}

// The hand-off waits until the handlers already queued on the network thread (other
// connections' reads of this event-loop pass) have run, so they join the same batch.
void LocalCommitter::schedule_flush() {
  if (busy_ || flush_scheduled_ || pending_ops_.empty()) return;
  flush_scheduled_ = true;
  boost::asio::post(network_, [this] { flush(); });
}

void LocalCommitter::flush() {
  flush_scheduled_ = false;
  if (busy_ || pending_ops_.empty()) return;
  busy_ = true;
  in_flight_ = std::move(pending_completions_);
  pending_completions_.clear();
  {
    std::lock_guard lock(mutex_);
    handed_off_ = pending_ops_.take();
  }
  wake_.notify_one();
}

void LocalCommitter::commit_loop() {
  for (;;) {
    std::string ops;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || handed_off_.has_value(); });
      if (!handed_off_) return;  // stopping with nothing left to commit
      ops = std::move(*handed_off_);
      handed_off_.reset();
    }
    auto replies = commit(ops);
    boost::asio::post(
        network_, [this, replies = std::move(replies)]() mutable { finish(std::move(replies)); });
  }
}

std::vector<commands::Reply> LocalCommitter::commit(const std::string& ops) {
  const std::size_t count = commands::OpBatchReader(ops).count().value_or(0);
  if (fatal_error_)
    return std::vector<commands::Reply>(count, commands::Reply::error(*fatal_error_));
  try {
    storage::WriteTxn txn(kv_.env());
    std::vector<commands::Reply> replies = state_machine_.apply_batch(txn.get(), ops, next_index_);
    txn.commit();  // durable: the environment syncs on commit
    ++next_index_;
    return replies;
  } catch (const storage::StorageError& e) {
    if (e.code() == MDB_MAP_FULL) {
      log::error("write batch of ", count, " commands refused: storage full (", e.what(), ")");
      return std::vector<commands::Reply>(
          count, commands::Reply::error("ERR storage full: raise storage.map_size_bytes"));
    }
    fatal_error_ = "ERR storage failure; this node refuses writes until it is restarted";
    log::error("storage failure, refusing all further writes: ", e.what());
    return std::vector<commands::Reply>(count, commands::Reply::error(*fatal_error_));
  }
}

void LocalCommitter::finish(std::vector<commands::Reply> replies) {
  std::vector<Completion> done = std::exchange(in_flight_, {});
  busy_ = false;
  for (std::size_t i = 0; i < done.size(); ++i) {
    done[i](i < replies.size() ? replies[i] : commands::Reply::error("ERR internal error"));
  }
  schedule_flush();
  if (drained_ && !busy_ && pending_ops_.empty()) std::exchange(drained_, nullptr)();
}

void LocalCommitter::drain(std::function<void()> drained) {
  drained_ = std::move(drained);
  if (!busy_ && pending_ops_.empty()) std::exchange(drained_, nullptr)();
}

}  // namespace keepdb::consensus
