// Follower-side forwarding: request ids, replies, timeouts.
#include "kernel/consensus/write/forwarder.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "kernel/log/log.h"

namespace keepdb::consensus {

Forwarder::Forwarder(util::Executor& executor, PeerTransport& transport, RaftReplica& raft,
                     std::chrono::milliseconds timeout)
    : executor_(executor), transport_(transport), raft_(raft), timeout_(timeout) {
  raft_.on_change([this] { abandon_old_leader(); });
}

// Requests sent to a server that is no longer the leader get no useful answer: end them
// now instead of at their deadline.
void Forwarder::abandon_old_leader() {
  const raft_id leader = raft_.leader_member().id;
  std::vector<std::uint64_t> stale;
  for (const auto& [id, pending] : pending_) {
    if (pending.leader != leader) stale.push_back(id);
  }
  for (std::uint64_t id : stale) {
    const bool write = pending_.at(id).kind == ForwardKind::kWrite;
    executor_.post([this, id, write] {
      finish(id, std::string(write ? "ERR the leader changed before answering; the write may or "
                                     "may not have been applied"
                                   : "TRYAGAIN the leader changed during the read"));
    });
  }
}

std::uint64_t Forwarder::new_id() const {
  std::uint64_t id = 0;
  do {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id) != 1) {
      throw std::runtime_error("OpenSSL could not generate a random request id");
    }
  } while (id == 0 || pending_.contains(id));
  return id;
}

void Forwarder::forward_write(std::string batch, std::vector<commands::Caller> callers, Done done) {
  send({.id = new_id(),
        .kind = ForwardKind::kWrite,
        .callers = std::move(callers),
        .batch = std::move(batch)},
       std::move(done));
}

void Forwarder::read_index(Done done) {
  send({.id = new_id(), .kind = ForwardKind::kReadIndex, .callers = {}, .batch = {}},
       std::move(done));
}

void Forwarder::send(ForwardRequest request, Done done) {
  const RaftReplica::Leader leader = raft_.leader_member();
  if (leader.id == 0 || leader.id == raft_.id()) {
    executor_.post([done = std::move(done)] { done(std::string("TRYAGAIN no leader")); });
    return;
  }
  const std::uint64_t id = request.id;
  util::Executor::Timer deadline = executor_.post_after(timeout_, [this, id] {
    finish(id, std::string("ERR the leader did not answer in time; the outcome is unknown"));
  });
  pending_.emplace(id, Pending{request.kind, leader.id, std::move(deadline), std::move(done)});
  const auto body = encode_forward_request(request);
  transport_.send_forward(
      leader.id, leader.address, FrameType::kForward, body, [this, id](util::IoStatus status) {
        if (status.ok()) return;
        // Posted: the transport may call this inside send_forward().
        executor_.post([this, id] { finish(id, std::string("TRYAGAIN leader unreachable")); });
      });
}

void Forwarder::on_reply(raft_id from, std::span<const std::uint8_t> body) {
  const auto id = forward_reply_id(body);
  const auto found = id ? pending_.find(*id) : pending_.end();
  if (found == pending_.end() || found->second.leader != from) return;  // late or foreign
  auto reply = decode_forward_reply(body, found->second.kind);
  if (!reply) {
    log::warn("malformed forward reply from server ", from);
    finish(*id, std::string("ERR malformed reply from the leader; outcome unknown"));
    return;
  }
  finish(*id, std::move(reply->outcome));
}

void Forwarder::finish(std::uint64_t id, Outcome outcome) {
  auto node = pending_.extract(id);
  if (node.empty()) return;
  node.mapped().deadline.cancel();
  node.mapped().done(std::move(outcome));
}

}  // namespace keepdb::consensus
