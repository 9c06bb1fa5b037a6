// ExpirySweeper: active expiry. While this server is the ready leader it looks, every
// `interval`, for keys whose deadline has passed (the expiry index, earliest first, at
// most `keys_per_round`) and proposes one internal `keepdb.expired` op (for the database of
// the earliest) that erases them
// through the log, so every server erases the same keys at the same log index. Reads hide
// expired keys before that happens; the sweep only reclaims their space.
//
// One proposal is in flight at a time. A full round that erased keys is followed at once
// by the next; otherwise the sweeper waits for the interval (a leader whose clock runs
// ahead of the batch time erases nothing and so cannot spin).
//
// It reads the expiry index through the state machine's write window (storage/
// write_window.h), so it never proposes keys that applied entries not yet committed erased.
//
// Thread-safety: the executor's thread only (the network thread, the window's). Lifetime:
// executor, store, window, raft replica, proposer and stats outlive it; stop() it before the
// proposer drains.
#pragma once

#include <chrono>
#include <cstddef>

#include "kernel/commands/node_context.h"
#include "kernel/commands/wall_clock.h"
#include "kernel/commands/proposer.h"
#include "kernel/consensus/write/raft_replica.h"
#include "storage/kv_store.h"
#include "util/executor.h"

namespace keepdb::node {

struct ExpirySweeperOptions {
  std::chrono::milliseconds interval{100};
  std::size_t keys_per_round = 256;
};

class ExpirySweeper {
 public:
  ExpirySweeper(util::Executor& executor, const storage::KvStore& kv,
                const storage::WriteWindow& window, consensus::RaftReplica& raft, commands::Proposer& proposer,
                commands::ServerStats& stats, ExpirySweeperOptions options,
                commands::WallClock wall_clock = commands::unix_time_ms);

  void start();
  // No proposal is made after this returns.
  void stop();

 private:
  void arm();
  void sweep();

  util::Executor& executor_;
  const storage::KvStore& kv_;
  const storage::WriteWindow& window_;
  consensus::RaftReplica& raft_;
  commands::Proposer& proposer_;
  commands::ServerStats& stats_;
  const ExpirySweeperOptions options_;
  commands::WallClock wall_clock_;
  util::Executor::Timer timer_;
  storage::ReadTxn txn_;
  bool in_flight_ = false;
  bool stopped_ = true;
};

}  // namespace keepdb::node
