// ReadBarrier: linearizable reads. Reads wait in batches: every read that arrives while a
// round is running joins the next round, and one round serves them all:
//   - on the leader a round is one raft_barrier: once it applies here, this server was
//     leader when it committed, so the commit index at the start of the round (the read
//     index) covers every write acknowledged before the reads arrived;
//   - on a follower a round asks the leader for a read index (a FORWARD read-index request,
//     which the leader answers from one of its own rounds) and then waits until this
//     server has applied up to that index; the reads then run locally.
// A sole voter that leads (and has applied its election barrier) needs no round: no other
// leader can exist. A round that has not finished within `timeout` fails. Errors: "TRYAGAIN no
// leader", the UNAVAILABLE refusal, the read refusal of a store behind its own answered
// writes (RaftReplica::read_refusal), or the failure of the round.
//
// Thread-safety: the executor's thread only (the network thread); completions are posted,
// never run inside wait(). Lifetime: the executor, the raft replica and the forwarder
// outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kernel/consensus/write/forwarder.h"
#include "kernel/consensus/write/raft_replica.h"
#include "util/executor.h"

namespace keepdb::consensus {

class ReadBarrier {
 public:
  // An error line, or the index the read waited for.
  using Done = std::function<void(std::optional<std::string> error, std::uint64_t index)>;

  ReadBarrier(util::Executor& executor, RaftReplica& raft, Forwarder& forwarder,
              std::chrono::milliseconds timeout);

  // Completes once reads that arrived before this call may run on local state.
  void wait(Done done);
  // Whether reads issued now may run on local state at once: a sole voter that leads, is
  // available and refuses no reads, where wait() would only post its success.
  bool immediate() const;

 private:
  void start_round();
  void round_indexed(std::uint64_t index);
  void finish_round(const std::optional<std::string>& error);
  void check_applied();

  util::Executor& executor_;
  RaftReplica& raft_;
  Forwarder& forwarder_;
  const std::chrono::milliseconds timeout_;
  util::Executor::Timer round_timer_;
  std::vector<Done> next_;   // waiting for the next round
  std::vector<Done> round_;  // served by the running round
  bool round_running_ = false;
  std::uint64_t round_index_ = 0;  // known once the leader answered; 0 before
  std::uint64_t round_id_ = 0;     // ignores answers of rounds already finished
};

}  // namespace keepdb::consensus
