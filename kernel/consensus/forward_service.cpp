// Leader-side forwarding: run forwarded writes and read-index requests, reply.
#include "kernel/consensus/forward_service.h"

#include <memory>

#include "kernel/commands/op_batch.h"
#include "kernel/log/log.h"

namespace keepdb::consensus {

ForwardService::ForwardService(TcpPeerTransport& transport, RaftNode& raft, Proposer& proposer,
                               ReadBarrier& reads)
    : transport_(transport), raft_(raft), proposer_(proposer), reads_(reads) {}

void ForwardService::on_request(raft_id from, std::span<const std::uint8_t> body) {
  auto request = decode_forward_request(body);
  if (!request) {
    log::warn("dropped a malformed forward request from server ", from);
    return;
  }
  const std::uint64_t id = request->id;
  if (!raft_.leader()) {
    reply(from, {id, std::string("TRYAGAIN no leader")});
    return;
  }
  if (request->kind == ForwardKind::kReadIndex) {
    reads_.wait([this, from, id](std::optional<std::string> error, std::uint64_t index) {
      if (error) {
        reply(from, {id, std::move(*error)});
      } else {
        reply(from, {id, index});
      }
    });
    return;
  }
  commands::OpBatchReader reader(request->batch);
  const std::uint32_t count = reader.count().value_or(0);
  struct Collected {
    std::vector<commands::Reply> replies;
    std::size_t missing = 0;
  };
  auto collected = std::make_shared<Collected>();
  std::vector<std::string_view> args;
  std::vector<std::vector<std::string_view>> ops;
  while (reader.next(args)) ops.push_back(args);
  if (reader.malformed() || ops.size() != count || ops.empty()) {
    reply(from, {id, std::string("ERR malformed forwarded write")});
    return;
  }
  collected->replies.resize(ops.size());
  collected->missing = ops.size();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    proposer_.propose(ops[i], [this, from, id, collected, i](const commands::Reply& result) {
      collected->replies[i] = result;
      if (--collected->missing == 0) reply(from, {id, std::move(collected->replies)});
    });
  }
}

void ForwardService::reply(raft_id to, const ForwardReply& reply) {
  const std::string address = raft_.address_of(to);
  if (address.empty()) return;
  transport_.send_forward(to, address, FrameType::kForwardReply, encode_forward_reply(reply),
                          [](IoStatus) {});
}

}  // namespace keepdb::consensus
