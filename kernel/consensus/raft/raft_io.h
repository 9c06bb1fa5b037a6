// RaftIo: libraft's struct raft_io (version 2) over three small interfaces: an Executor (raft
// thread, clock, tick), LogStorage (durable state) and PeerTransport (messages). It follows
// every rule libraft 0.15 sets for a raft_io: no callback ever runs inside a raft_io method (all are
// posted to the executor); a method returns non-zero only when nothing was submitted, with
// errmsg filled; addresses are copied; send callbacks may be NULL; each peer has a bounded
// number of outstanding sends (the oldest fails with RAFT_NOCONNECTION); close() stops ticks
// and receives at once, waits until storage and the async-work thread no longer touch raft's
// memory, completes every pending request with RAFT_CANCELED, then calls its own callback
// exactly once; time() is monotonic; random() uses a per-instance PRNG.
//
// Threading: every raft_io method and every callback into raft runs on the executor thread.
// async_work runs on a dedicated worker thread (started on first use).
// Lifetime: pass get() to raft_init. Destroy this object only after raft_close's callback has
// run (or if raft_init failed). The executor must outlive it; storage and transport must
// outlive the close. Late completions from storage or transport are dropped safely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "util/executor.h"
#include "kernel/consensus/raft/log_bytes.h"
#include "storage/log_storage.h"
#include "kernel/consensus/peer/peer_transport.h"
#include "util/raft_c_api.h"

namespace keepdb::consensus {

class SnapshotTransfer;

struct RaftIoOptions {
  std::size_t max_pending_sends_per_peer = 64;
  std::uint64_t random_seed = 0;  // 0: seed from std::random_device
  // When set, raft's InstallSnapshot messages go through it (the state is streamed first,
  // the message follows) and a received one reaches raft only once it is ready to install.
  // Must outlive the RaftIo. Null: snapshots travel whole in the message.
  SnapshotTransfer* snapshot_transfer = nullptr;
};

class RaftIo {
 public:
  RaftIo(util::Executor& executor, storage::LogStorage& storage, PeerTransport& transport,
         const RaftIoOptions& options);
  ~RaftIo();
  RaftIo(const RaftIo&) = delete;
  RaftIo& operator=(const RaftIo&) = delete;

  raft_io* get();
  // The bytes of each log entry raft holds, kept in step with load, append, truncate and
  // snapshot_put. Executor thread only.
  const LogBytes& log_bytes() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;  // shared so posted completions can detect its destruction
};

}  // namespace keepdb::consensus
