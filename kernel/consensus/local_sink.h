// The single-node durable write path: applies each batch to the state machine in one
// LMDB write transaction and commits it with a sync, on a dedicated commit thread so the
// network thread never waits for the disk. A failed commit is sticky: every later batch
// is refused until the process restarts (only a full storage map is not sticky).
//
// Thread-safety: commit() on the network thread (one batch at a time); the commit thread
// touches only the batch handed to it. Lifetime: `network` and `kv` must outlive this
// object; the destructor waits for the batch in flight and joins the thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "kernel/commands/state_machine.h"
#include "kernel/consensus/batch_sink.h"

namespace keepdb::consensus {

class LocalSink final : public BatchSink {
 public:
  LocalSink(boost::asio::io_context& network, const storage::KvStore& kv,
            std::uint64_t max_value_bytes);
  ~LocalSink() override;

  void commit(std::string batch, Done done) override;

 private:
  void commit_loop();
  std::vector<commands::Reply> apply_durably(const std::string& batch);

  boost::asio::io_context& network_;
  const storage::KvStore& kv_;
  commands::StateMachine state_machine_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<std::pair<std::string, Done>> handed_off_;
  bool stopping_ = false;

  // Commit thread only.
  std::uint64_t next_index_ = 0;
  std::optional<std::string> fatal_error_;

  std::thread thread_;
};

}  // namespace keepdb::consensus
