// Forwarder: the follower side of forwarding. It sends a write batch (with the caller of
// each op), or a read-index request, to the current leader in a FORWARD frame and completes
// it when the leader's FORWARD_REPLY arrives: only a reply from the server the request was
// sent to, over a connection that proved its identity (peer_auth.h), carrying the request's
// random id, completes it. Without a known leader, or when the frame cannot be delivered,
// it answers "TRYAGAIN ..." at once (an undelivered frame was never applied). A request
// the leader does not answer within the timeout, or before another server becomes leader,
// fails with an error saying the outcome is unknown (reads: TRYAGAIN).
//
// Thread-safety: the executor's thread only (the network thread, which also runs the
// transport's forward receiver); callbacks run there, never inside the call.
// Lifetime: the executor, the transport and the raft replica outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "kernel/consensus/peer/peer_transport.h"
#include "kernel/consensus/write/forward_codec.h"
#include "kernel/consensus/write/raft_replica.h"
#include "util/executor.h"

namespace keepdb::consensus {

class Forwarder {
 public:
  // The error line, the write's replies, or the read index.
  using Outcome = std::variant<std::string, std::vector<commands::Reply>, std::uint64_t>;
  using Done = std::function<void(Outcome outcome)>;

  Forwarder(util::Executor& executor, PeerTransport& transport, RaftReplica& raft,
            std::chrono::milliseconds timeout);

  void forward_write(std::string batch, std::vector<commands::Caller> callers, Done done);
  void read_index(Done done);
  // A FORWARD_REPLY from server `from`.
  void on_reply(raft_id from, std::span<const std::uint8_t> body);

 private:
  struct Pending {
    ForwardKind kind;
    raft_id leader;
    util::Executor::Timer deadline;  // fails the request when the leader has not answered
    Done done;
  };
  void send(ForwardRequest request, Done done);
  void finish(std::uint64_t id, Outcome outcome);
  void abandon_old_leader();
  // A fresh random request id, not in use.
  std::uint64_t new_id() const;

  util::Executor& executor_;
  PeerTransport& transport_;
  RaftReplica& raft_;
  const std::chrono::milliseconds timeout_;
  std::map<std::uint64_t, Pending> pending_;
};

}  // namespace keepdb::consensus
