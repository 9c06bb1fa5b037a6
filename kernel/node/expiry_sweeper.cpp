// Active expiry on the leader: find due keys, propose their erasure.
#include "kernel/node/expiry_sweeper.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernel/commands/internal_ops.h"
#include "kernel/log/log.h"

namespace keepdb::node {
namespace {
// The caller named on the sweeper's ops (the internal op is in no command table, so a
// leader refuses it if it is ever forwarded).
const commands::Caller kSweeper{"keepdb.expiry", commands::kAllRoles};
}  // namespace

ExpirySweeper::ExpirySweeper(util::Executor& executor, const storage::KvStore& kv,
                             const storage::WriteWindow& window, consensus::RaftReplica& raft, commands::Proposer& proposer,
                             commands::ServerStats& stats, ExpirySweeperOptions options,
                             commands::WallClock wall_clock)
    : executor_(executor),
      kv_(kv),
      window_(window),
      raft_(raft),
      proposer_(proposer),
      stats_(stats),
      options_(options),
      wall_clock_(std::move(wall_clock)),
      txn_(kv.env()) {}

void ExpirySweeper::start() {
  stopped_ = false;
  arm();
}

void ExpirySweeper::stop() {
  stopped_ = true;
  timer_.cancel();
}

void ExpirySweeper::arm() {
  if (stopped_) return;
  timer_ = executor_.post_after(options_.interval, [this] { sweep(); });
}

void ExpirySweeper::sweep() {
  if (stopped_ || in_flight_) return;
  if (!raft_.ready()) {
    arm();
    return;
  }
  std::vector<storage::KvStore::DueKey> due;
  try {
    MDB_txn* txn = window_.reader(txn_);
    // The state machine clock too: a new leader whose clock is behind still sweeps what
    // the log already treats as expired.
    const std::uint64_t now = std::max(wall_clock_(), kv_.clock_ms(txn));
    due = kv_.keys_due(txn, now, options_.keys_per_round);
    txn_.end();
  } catch (const storage::StorageError& e) {
    txn_.end();
    log::error("active expiry cannot read the expiry index: ", e.what());
    arm();
    return;
  }
  if (due.empty()) {
    arm();
    return;
  }
  // One op names one database: this round erases the due keys of the database of the
  // earliest one, and the next round follows at once when others were left.
  commands::Caller caller = kSweeper;
  caller.db = due.front().db;
  std::vector<std::string_view> op{commands::kExpiredOp};
  for (const auto& key : due) {
    if (key.db == caller.db) op.push_back(key.key);
  }
  in_flight_ = true;
  const bool full_round = due.size() == options_.keys_per_round || op.size() - 1 < due.size();
  proposer_.propose(caller, op, [this, full_round](const commands::Reply& reply) {
    in_flight_ = false;
    const bool erased = reply.kind == commands::Reply::Kind::kInteger && reply.integer > 0;
    if (erased) stats_.expired_keys += static_cast<std::uint64_t>(reply.integer);
    if (stopped_) return;
    if (full_round && erased) {
      sweep();
    } else {
      arm();
    }
  });
}

}  // namespace keepdb::node
