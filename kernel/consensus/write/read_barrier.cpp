// Read rounds: barrier on the leader, read index plus local catch-up on followers.
#include "kernel/consensus/write/read_barrier.h"

#include "kernel/consensus/write/raft_sink.h"

namespace keepdb::consensus {

ReadBarrier::ReadBarrier(util::Executor& executor, RaftReplica& raft, Forwarder& forwarder,
                         std::chrono::milliseconds timeout)
    : executor_(executor), raft_(raft), forwarder_(forwarder), timeout_(timeout) {
  raft_.on_change([this] { check_applied(); });
}

void ReadBarrier::wait(Done done) {
  std::optional<std::string> refusal = raft_.read_refusal();
  if (refusal || raft_.unavailable() || raft_.sole_voter_leader()) {
    std::optional<std::string> error = std::move(refusal);
    if (!error && raft_.unavailable()) error = kUnavailableError;
    executor_.post([done = std::move(done), error, index = raft_.applied_index()] {
      done(error, index);
    });
    return;
  }
  next_.push_back(std::move(done));
  if (!round_running_) start_round();
}

bool ReadBarrier::immediate() const {
  return raft_.sole_voter_leader() && !raft_.unavailable() && !raft_.read_refusal();
}

void ReadBarrier::start_round() {
  round_ = std::move(next_);
  next_.clear();
  round_running_ = true;
  round_index_ = 0;
  const std::uint64_t id = ++round_id_;
  round_timer_ = executor_.post_after(timeout_, [this, id] {
    if (id == round_id_) finish_round(std::string("TRYAGAIN read timed out"));
  });
  if (raft_.leader()) {
    // Raft's read index: the commit index now, once a barrier confirms the leadership. A
    // leader whose election barrier has not applied yet may lag; it uses the barrier's own.
    const std::uint64_t read_index = raft_.ready() ? raft_.commit_index() : 0;
    raft_.barrier([this, id, read_index](RaftReplica::Status status, raft_index index) {
      if (id != round_id_) return;
      if (status != 0) {
        finish_round(status == RAFT_NOTLEADER || status == RAFT_LEADERSHIPLOST
                         ? std::string("TRYAGAIN leadership changed during the read")
                         : std::string("ERR read barrier failed: ") + raft_strerror(status));
        return;
      }
      round_indexed(read_index != 0 ? read_index : index);
    });
  } else {
    forwarder_.read_index([this, id](Forwarder::Outcome outcome) {
      if (id != round_id_) return;
      if (const auto* index = std::get_if<std::uint64_t>(&outcome)) {
        round_indexed(*index);
      } else if (const auto* error = std::get_if<std::string>(&outcome)) {
        finish_round(*error);
      } else {
        finish_round(std::string("ERR unexpected reply from the leader"));
      }
    });
  }
}

void ReadBarrier::round_indexed(std::uint64_t index) {
  round_index_ = index;
  check_applied();
}

void ReadBarrier::check_applied() {
  if (round_running_ && round_index_ != 0 && raft_.applied_index() >= round_index_) {
    finish_round(std::nullopt);
  } else if (round_running_ && raft_.unavailable()) {
    finish_round(std::string(kUnavailableError));
  }
}

void ReadBarrier::finish_round(const std::optional<std::string>& error) {
  std::vector<Done> served = std::move(round_);
  round_.clear();
  round_running_ = false;
  ++round_id_;
  round_timer_.cancel();
  const std::uint64_t index = round_index_;
  executor_.post([served = std::move(served), error, index] {
    for (const Done& done : served) done(error, index);
  });
  if (!next_.empty())
    executor_.post([this] {
      if (!round_running_ && !next_.empty()) start_round();
    });
}

}  // namespace keepdb::consensus
