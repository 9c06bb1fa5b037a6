// The write path's entry point: connections hand it validated write commands, it packs
// them into batches (group commit), makes each batch durable, applies it to the state
// machine and completes every command with its reply. Each batch becomes one Raft entry
// (raft_sink.h), on a single node as in a cluster.
//
// Thread-safety: every method is called on the network thread; completions run there too.
#pragma once

#include <functional>

#include "kernel/commands/caller.h"
#include "kernel/commands/command.h"
#include "kernel/commands/reply.h"

namespace keepdb::commands {

class Proposer {
 public:
  using Completion = std::function<void(const commands::Reply&)>;

  virtual ~Proposer() = default;

  // Queues one write command on behalf of `caller` (both are copied). `done` runs later, on
  // the network thread, after the command is durable and applied; completions run in
  // submission order.
  virtual void propose(const commands::Caller& caller, commands::Args args, Completion done) = 0;

  // Completes every queued command, then calls `drained` (on the network thread). Used at
  // shutdown; propose() must not be called afterwards.
  virtual void drain(std::function<void()> drained) = 0;
};

}  // namespace keepdb::commands
