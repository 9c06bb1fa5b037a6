// Single-node write path: group-commits batches of write commands straight into the
// key-value LMDB environment. One batch is in flight at a time; every command that
// arrives meanwhile joins the next batch, so N concurrent clients share one LMDB
// transaction and one fsync. Applying and committing run on a dedicated commit thread so
// the network thread never waits for the disk.
//
// Thread-safety: see Proposer. The commit thread touches only the batch handed to it.
// Lifetime: `network` and `kv` must outlive the committer; the destructor joins the thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "kernel/commands/state_machine.h"
#include "kernel/consensus/proposer.h"

namespace keepdb::consensus {

class LocalCommitter final : public Proposer {
 public:
  LocalCommitter(boost::asio::io_context& network, const storage::KvStore& kv,
                 std::uint64_t max_value_bytes);
  ~LocalCommitter() override;

  void propose(commands::Args args, Completion done) override;
  void drain(std::function<void()> drained) override;

 private:
  void schedule_flush();
  void flush();        // network thread: hand the pending batch to the commit thread
  void commit_loop();  // commit thread
  std::vector<commands::Reply> commit(const std::string& ops);  // commit thread
  void finish(std::vector<commands::Reply> replies);            // network thread

  boost::asio::io_context& network_;
  const storage::KvStore& kv_;
  commands::StateMachine state_machine_;

  // Network thread only.
  commands::OpBatchBuilder pending_ops_;
  std::vector<Completion> pending_completions_;
  std::vector<Completion> in_flight_;  // completions of the batch being committed
  bool busy_ = false;
  bool flush_scheduled_ = false;
  std::function<void()> drained_;

  // Shared with the commit thread.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<std::string> handed_off_;
  bool stopping_ = false;

  // Commit thread only.
  std::uint64_t next_index_ = 0;
  std::optional<std::string> fatal_error_;  // sticky: after a failed commit, writes are refused

  std::thread thread_;
};

}  // namespace keepdb::consensus
