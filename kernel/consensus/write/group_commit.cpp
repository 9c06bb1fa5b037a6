// Batching of write commands in front of the durable write path.
#include "kernel/consensus/write/group_commit.h"

#include <algorithm>
#include <utility>

namespace keepdb::consensus {
namespace {

// The most callers a batch's vector is reserved for ahead of the next batch (hand_off).
constexpr std::size_t kReservedCallers = 4096;

}  // namespace

GroupCommit::GroupCommit(util::Executor& executor, BatchSink& sink, commands::ServerStats& stats,
                         unsigned databases, std::uint64_t max_value_bytes,
                         std::chrono::microseconds max_gather_wait,
                         commands::WallClock wall_clock)
    : executor_(executor),
      sink_(sink),
      stats_(stats),
      max_gather_wait_(max_gather_wait),
      wall_clock_(std::move(wall_clock)),
      pending_ops_(databases, max_value_bytes) {}

void GroupCommit::propose(const commands::Caller& caller, commands::Args args, Completion done) {
  pending_ops_.add(args, caller.db);
  pending_callers_.push_back(caller);
  pending_completions_.push_back(std::move(done));
  maybe_hand_off();
}

void GroupCommit::maybe_hand_off() {
  if (busy_ || pending_ops_.empty()) return;
  if (pending_ops_.size() >= gather_target_ || !sink_.gathers()) {
    gather_timer_.cancel();
    gathering_ = false;
    // Posted, so the reads already queued in this event-loop pass join the batch.
    if (!hand_off_posted_) {
      hand_off_posted_ = true;
      executor_.post([this] { hand_off(); });
    }
    return;
  }
  if (gathering_) return;
  gathering_ = true;
  gather_timer_ = executor_.post_after(max_gather_wait_, [this] {
    gathering_ = false;
    hand_off();
  });
}

void GroupCommit::hand_off() {
  hand_off_posted_ = false;
  if (busy_ || pending_ops_.empty()) return;
  busy_ = true;
  handed_off_at_ = std::chrono::steady_clock::now();
  // The two completion vectors trade places, so each keeps its storage from batch to batch.
  in_flight_.swap(pending_completions_);
  std::vector<commands::Caller> callers = std::exchange(pending_callers_, {});
  pending_callers_.reserve(std::min(callers.size(), kReservedCallers));
  sink_.commit(pending_ops_.take(wall_clock_()), std::move(callers),
               [this](std::vector<commands::Reply> replies) { finish(std::move(replies)); });
}

void GroupCommit::finish(std::vector<commands::Reply> replies) {
  std::vector<Completion> done = std::exchange(in_flight_, {});
  busy_ = false;
  // Draining: no more commands are coming, so what is queued goes without a gather wait.
  gather_target_ = drained_ ? 0 : done.size() + pending_ops_.size();
  ++stats_.write_batches;
  stats_.commit_latency.observe(std::chrono::steady_clock::now() - handed_off_at_);
  stats_.writes_applied += done.size();
  for (std::size_t i = 0; i < done.size(); ++i) {
    done[i](i < replies.size() ? replies[i] : commands::Reply::error("ERR internal error"));
  }
  done.clear();
  if (in_flight_.empty()) in_flight_.swap(done);  // its storage serves the next batch
  maybe_hand_off();
  if (drained_ && !busy_ && pending_ops_.empty()) std::exchange(drained_, nullptr)();
}

void GroupCommit::drain(std::function<void()> drained) {
  drained_ = std::move(drained);
  gather_target_ = 0;  // no more commands are coming: do not wait to gather
  maybe_hand_off();
  if (!busy_ && pending_ops_.empty()) std::exchange(drained_, nullptr)();
}

}  // namespace keepdb::consensus
