// Group commit: packs the write commands of all connections into batches and hands one
// batch at a time to a BatchSink. Commands that arrive while a batch is in flight join the
// next one, so N concurrent clients share one durable commit.
//
// The next hand-off waits briefly (at most `max_gather_wait`, 1 ms by default: measured
// with 50 redis-benchmark clients, 200 us caught ~28 of them per batch and 1.5 ms all 50)
// until about as many
// commands are pending as were in play last round (the last batch plus the commands that
// queued behind it), because the clients just answered send their next commands within
// microseconds. Without this the clients split into groups that alternate batches, and
// each fsync serves only part of them. A lone client never waits, nor does anyone when the
// sink says gathering does not pay (BatchSink::gathers: a sole voter blocks for its sync).
//
// Each batch is stamped with the wall clock when it is handed off and with this node's
// storage.databases: on the leader those are the batch time its ops are applied at and the
// range their database numbers are checked against (op_batch.h); a follower's batch is
// forwarded op by op and stamped again by the leader's GroupCommit.
//
// Thread-safety: the executor's thread only (the network thread; see Proposer). Lifetime:
// `executor` and `sink` must outlive this object.
#pragma once

#include <chrono>
#include <vector>

#include "kernel/commands/node_context.h"
#include "kernel/commands/op_batch.h"
#include "kernel/commands/wall_clock.h"
#include "kernel/consensus/write/batch_sink.h"
#include "kernel/commands/proposer.h"
#include "util/executor.h"

namespace keepdb::consensus {

class GroupCommit final : public commands::Proposer {
 public:
  // `databases` and `max_value_bytes`: the node's storage.databases and
  // limits.max_bulk_bytes, stamped on every batch (commands/op_batch.h).
  GroupCommit(util::Executor& executor, BatchSink& sink, commands::ServerStats& stats,
              unsigned databases, std::uint64_t max_value_bytes,
              std::chrono::microseconds max_gather_wait = std::chrono::microseconds(1000),
              commands::WallClock wall_clock = commands::unix_time_ms);

  void propose(const commands::Caller& caller, commands::Args args, Completion done) override;
  void drain(std::function<void()> drained) override;

 private:
  void maybe_hand_off();
  void hand_off();
  void finish(std::vector<commands::Reply> replies);

  util::Executor& executor_;
  BatchSink& sink_;
  commands::ServerStats& stats_;
  std::chrono::microseconds max_gather_wait_;
  commands::WallClock wall_clock_;
  util::Executor::Timer gather_timer_;

  commands::OpBatchBuilder pending_ops_;
  std::vector<commands::Caller> pending_callers_;
  std::vector<Completion> pending_completions_;
  std::vector<Completion> in_flight_;  // completions of the batch in the sink
  bool busy_ = false;
  std::chrono::steady_clock::time_point handed_off_at_;  // of the batch in the sink
  bool hand_off_posted_ = false;
  bool gathering_ = false;
  std::size_t gather_target_ = 0;  // commands in play last round
  std::function<void()> drained_;
};

}  // namespace keepdb::consensus
