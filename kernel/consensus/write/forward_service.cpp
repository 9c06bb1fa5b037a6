// Leader-side forwarding: run forwarded writes and read-index requests, reply.
#include "kernel/consensus/write/forward_service.h"

#include <memory>

#include "kernel/commands/dispatcher.h"
#include "kernel/commands/op_batch.h"
#include "kernel/commands/transaction.h"
#include "kernel/log/log.h"

namespace keepdb::consensus {

ForwardService::ForwardService(PeerTransport& transport, RaftReplica& raft,
                               commands::Proposer& proposer, ReadBarrier& reads)
    : transport_(transport),
      raft_(raft),
      proposer_(proposer),
      reads_(reads),
      refusals_(10, std::chrono::seconds(10)) {}

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
  std::vector<std::uint8_t> dbs;  // the database each op names
  while (reader.next(args)) {
    ops.push_back(args);
    dbs.push_back(reader.db());
  }
  if (reader.malformed() || ops.size() != count || ops.empty() ||
      request->callers.size() != ops.size()) {
    reply(from, {id, std::string("ERR malformed forwarded write")});
    return;
  }
  collected->replies.resize(ops.size());
  collected->missing = ops.size();
  const auto complete = [this, from, id, collected](std::size_t i, const commands::Reply& result) {
    collected->replies[i] = result;
    if (--collected->missing == 0) reply(from, {id, std::move(collected->replies)});
  };
  for (std::size_t i = 0; i < ops.size(); ++i) {
    commands::Caller& caller = request->callers[i];
    caller.db = dbs[i];
    if (auto refusal = readmit(from, ops[i], caller)) {
      complete(i, commands::Reply::error(*refusal));
      continue;
    }
    proposer_.propose(caller, ops[i],
                      [complete, i](const commands::Reply& result) { complete(i, result); });
  }
}

std::optional<std::string> ForwardService::readmit(raft_id from, commands::Args op,
                                                   const commands::Caller& caller) {
  commands::Session session;
  session.authenticated = true;
  session.principal = caller.principal;
  session.roles = caller.roles;
  const commands::Admission admission = commands::admit_op(op, session);
  if (admission.spec == nullptr) {
    // The follower admitted it, so the two disagree (versions, or a follower gone wrong).
    if (const auto dropped = refusals_.admit()) {
      log::warn("refused an op forwarded by server ", from, " for principal '", caller.principal,
                "': ", admission.error,
                *dropped > 0 ? " (" + std::to_string(*dropped) + " similar lines not logged)" : "");
    }
    if (audit_ != nullptr && admission.denied) {
      audit_->record({commands::AuditKind::kDeniedByRole, 0, "server " + std::to_string(from),
                      caller.principal, commands::audit_command_name(op[0]), "denied",
                      admission.error});
    }
    return admission.error;
  }
  if (!admission.spec->proposes()) {
    return "ERR '" + std::string(admission.spec->name) + "' is not a write and cannot be forwarded";
  }
  if (audit_ != nullptr) {
    if (auto refusal = audit_->refusal()) return "ERR audit: " + *refusal;
    const auto kind =
        commands::recorded_kind(*admission.spec).value_or(commands::AuditKind::kWrite);
    audit_->record(commands::command_event(kind, *admission.spec, op, 0,
                                           "server " + std::to_string(from), caller.principal,
                                           "admitted"));
  }
  return std::nullopt;
}

void ForwardService::reply(raft_id to, const ForwardReply& reply) {
  const std::string address = raft_.address_of(to);
  if (address.empty()) return;
  transport_.send_forward(to, address, FrameType::kForwardReply, encode_forward_reply(reply),
                          [](util::IoStatus) {});
}

}  // namespace keepdb::consensus
