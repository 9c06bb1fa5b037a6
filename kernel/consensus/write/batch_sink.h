// Where group-committed batches go to become durable and applied: one Raft log entry per
// batch (RaftSink), on a single node as in a cluster.
//
// Thread-safety: commit() is called on the network thread, at most one batch at a time;
// `done` must be invoked later on the network thread (never inside commit()).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kernel/commands/caller.h"
#include "kernel/commands/reply.h"

namespace keepdb::consensus {

class BatchSink {
 public:
  using Done = std::function<void(std::vector<commands::Reply> replies)>;

  virtual ~BatchSink() = default;
  // Makes `batch` (op_batch.h encoding) durable, applies it, and calls `done` with one
  // reply per op, in order. `callers` names who sent each op (callers[i] sent op i).
  virtual void commit(std::string batch, std::vector<commands::Caller> callers, Done done) = 0;
  // Whether GroupCommit should wait to gather a batch as large as the last round. Not where
  // a commit blocks the network thread for its sync (a sole voter writes its log inline):
  // the next commands queue up meanwhile by themselves, and a wait would only add to it.
  virtual bool gathers() const { return true; }
};

}  // namespace keepdb::consensus
