// Single-node LMDB commit thread.
#include "kernel/consensus/local_sink.h"

#include <boost/asio/post.hpp>

#include "kernel/commands/op_batch.h"
#include "kernel/log/log.h"

namespace keepdb::consensus {

LocalSink::LocalSink(boost::asio::io_context& network, const storage::KvStore& kv,
                     std::uint64_t max_value_bytes)
    : network_(network), kv_(kv), state_machine_(kv, max_value_bytes) {
  storage::ReadTxn txn(kv_.env());
  txn.begin();
  next_index_ = kv_.applied_index(txn.get()) + 1;
  txn.end();
  thread_ = std::thread([this] { commit_loop(); });
}

LocalSink::~LocalSink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void LocalSink::commit(std::string batch, Done done) {
  {
    std::lock_guard lock(mutex_);
    handed_off_.emplace(std::move(batch), std::move(done));
  }
  wake_.notify_one();
}

void LocalSink::commit_loop() {
  for (;;) {
    std::pair<std::string, Done> work;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || handed_off_.has_value(); });
      if (!handed_off_) return;  // stopping with nothing left to commit
      work = std::move(*handed_off_);
      handed_off_.reset();
    }
    auto replies = apply_durably(work.first);
    boost::asio::post(network_, [done = std::move(work.second),
                                 replies = std::move(replies)]() mutable {
      done(std::move(replies));
    });
  }
}

std::vector<commands::Reply> LocalSink::apply_durably(const std::string& batch) {
  const std::size_t count = commands::OpBatchReader(batch).count().value_or(0);
  if (fatal_error_) return std::vector<commands::Reply>(count, commands::Reply::error(*fatal_error_));
  try {
    storage::WriteTxn txn(kv_.env());
    std::vector<commands::Reply> replies = state_machine_.apply_batch(txn.get(), batch, next_index_);
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

}  // namespace keepdb::consensus
