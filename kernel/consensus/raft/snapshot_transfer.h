// SnapshotTransfer: how a follower that needs a snapshot gets the leader's state, without
// either side holding it in memory and without putting it in a raft message.
//
// Leader: RaftIo hands it every InstallSnapshot raft sends (send_install). Instead of
// sending it, this streams an image of the key-value store (KvImageStream: one LMDB read
// transaction, so a consistent state at or past the snapshot's index) in SNAPSHOT_CHUNK
// frames (snapshot_frames.h) of chunk_bytes over the peer transport, read on a worker
// thread while the network thread keeps serving. At most `window` chunks are unacknowledged
// at a time (the follower acknowledges each once written), so the leader reads no faster
// than the follower writes. The last chunk carries the SHA-256 of the whole stream. Once
// the follower reports the image checked and durable, the InstallSnapshot itself (the
// 17-byte descriptor, kv_snapshot.h) is sent. raft resends an unanswered InstallSnapshot
// after its install-snapshot timeout: a transfer to that follower still making progress
// just goes on; one with no acknowledgement for stall_timeout, or one the follower refused
// (a gap, a checksum mismatch, a disk error), is dropped, and the resend starts a new
// transfer from byte 0 (a clean restart after a broken connection).
//
// Follower: chunks from one transfer at a time are written, on the worker thread, to
// KvFsm::install_path() + ".tmp", hashed as they come; after the last one the digest is
// compared, the file fsynced, renamed to install_path() and the directory fsynced. Only
// then is it acknowledged as done. RaftIo asks ready_to_install() before handing an
// InstallSnapshot to raft: a snapshot is installed only when the store already holds it or
// a complete image at or past it is in place, so KvFsm::restore always switches to a whole,
// checked, durable state. A chunk of another transfer at offset 0 discards the current one;
// any other gap is refused. Bytes written but not yet acknowledged are bounded, whatever
// the leader sends. The temp file of a node killed mid-install is removed at start-up.
//
// Thread-safety: every method, and the receiver it installs on the transport, runs on the
// executor's thread (the network thread). File and LMDB work runs on its own worker thread.
// Lifetime: the executor, transport and fsm outlive it; the destructor stops receiving,
// drops every transfer and joins the worker. It outlives raft restarts inside RaftNode.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kernel/consensus/fsm/kv_fsm.h"
#include "kernel/consensus/peer/peer_transport.h"
#include "util/executor.h"
#include "util/raft_c_api.h"

namespace keepdb::consensus {

struct SnapshotTransferOptions {
  std::size_t chunk_bytes = 256u << 10;  // at most kMaxSnapshotChunkBytes
  std::size_t window = 8;                // chunks sent and not yet acknowledged
  std::chrono::milliseconds stall_timeout{10000};
  // The raft address of member `id` (where acknowledgements go), "" when unknown.
  std::function<std::string(raft_id id)> address_of;
};

class SnapshotTransfer {
 public:
  SnapshotTransfer(util::Executor& executor, PeerTransport& transport, KvFsm& fsm,
                   SnapshotTransferOptions options);
  ~SnapshotTransfer();
  SnapshotTransfer(const SnapshotTransfer&) = delete;
  SnapshotTransfer& operator=(const SnapshotTransfer&) = delete;

  // Leader: `message` (an InstallSnapshot raft is sending to `to` at `address`) is copied;
  // it is sent once `to` holds the state it names.
  void send_install(raft_id to, const std::string& address, const raft_message& message);
  // Follower: whether raft may install the snapshot of this InstallSnapshot now.
  bool ready_to_install(const raft_install_snapshot& message) const;
  // Transfers from this leader still running (for tests and status).
  std::size_t outgoing() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;  // shared so worker completions can detect its destruction
};

}  // namespace keepdb::consensus
