// RaftSink: one raft entry per batch on the leader, forwarding on followers.
#include "kernel/consensus/write/raft_sink.h"

#include "kernel/commands/op_batch.h"

namespace keepdb::consensus {
namespace {

// Appended to the storage refusal for a write raft accepted before the failure: raft may
// still commit and apply it once the storage writes again.
constexpr char kOutcomeUnknown[] = "; this write may or may not be applied";

}  // namespace

RaftSink::RaftSink(util::Executor& executor, RaftReplica& raft, Forwarder& forwarder)
    : executor_(executor), raft_(raft), forwarder_(forwarder) {
  raft_.on_change([this] {
    if (waiting_ && !(raft_.leader() && !raft_.ready())) {
      auto [batch, done] = std::move(*waiting_);
      waiting_.reset();
      dispatch(std::move(batch), std::move(done));
    }
  });
}

void RaftSink::commit(std::string batch, std::vector<commands::Caller> callers, Done done) {
  dispatch({std::move(batch), std::move(callers)}, std::move(done));
}

void RaftSink::dispatch(Batch batch, Done done) {
  const std::size_t ops = commands::OpBatchReader(batch.ops).count().value_or(0);
  if (const auto refusal = raft_.write_refusal()) {
    fail(ops, *refusal, std::move(done));
  } else if (raft_.unavailable()) {
    fail(ops, kUnavailableError, std::move(done));
  } else if (raft_.ready()) {
    raft_.apply(
        batch.ops, [this, done = std::move(done), ops](
                       RaftReplica::Status status, const std::vector<commands::Reply>& replies) {
          if (status == 0 && !replies.empty()) {
            done(replies);
            return;
          }
          const auto refusal = raft_.write_refusal();
          const std::string error = refusal ? *refusal + kOutcomeUnknown
                                    : status == RAFT_LEADERSHIPLOST
                                        ? "ERR leadership changed before the write was confirmed; "
                                          "it may or may not be applied"
                                    : status == RAFT_NOTLEADER
                                        ? "TRYAGAIN no leader"
                                        : std::string("ERR write failed: ") + raft_strerror(status);
          done(std::vector<commands::Reply>(ops, commands::Reply::error(error)));
        });
  } else if (raft_.leader()) {
    waiting_.emplace(std::move(batch), std::move(done));
  } else {
    forwarder_.forward_write(
        std::move(batch.ops), std::move(batch.callers),
        [this, ops, done = std::move(done)](Forwarder::Outcome outcome) {
          if (auto* replies = std::get_if<std::vector<commands::Reply>>(&outcome)) {
            done(std::move(*replies));
          } else if (auto* error = std::get_if<std::string>(&outcome)) {
            fail(ops, *error, std::move(done));
          } else {
            fail(ops, "ERR unexpected reply from the leader", std::move(done));
          }
        });
  }
}

void RaftSink::fail(std::size_t ops, const std::string& error, Done done) {
  executor_.post([done = std::move(done), ops, error] {
    done(std::vector<commands::Reply>(ops, commands::Reply::error(error)));
  });
}

}  // namespace keepdb::consensus
