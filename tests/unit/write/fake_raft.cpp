// FakeRaftGroup: elections, appends, commits in log order, applies, observers.
#include "tests/unit/write/fake_raft.h"

#include <string_view>

#include "kernel/commands/internal_ops.h"
#include "kernel/commands/op_batch.h"

namespace keepdb::consensus::testing {
namespace {

std::string address_for(raft_id id) { return "n" + std::to_string(id); }

}  // namespace

std::string describe_batch(const std::string& batch) {
  if (batch.empty()) return "(barrier)";
  commands::OpBatchReader reader(batch);
  std::vector<std::string_view> args;
  std::string text;
  while (reader.next(args)) {
    if (!text.empty()) text += " | ";
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (i != 0) text += ' ';
      text += args[i];
    }
  }
  if (reader.malformed()) text += " (malformed)";
  return text;
}

// FakeReplica

bool FakeReplica::leader() const { return group_.leader_ == id_ && !unavailable_; }

bool FakeReplica::sole_voter_leader() const { return ready() && group_.size() == 1; }

RaftReplica::Leader FakeReplica::leader_member() const {
  const raft_id leader = group_.leader_;
  return {leader, leader == 0 ? std::string() : address_for(leader)};
}

std::string FakeReplica::address_of(raft_id id) const {
  return group_.replicas_.contains(id) ? address_for(id) : std::string();
}

raft_index FakeReplica::commit_index() const { return leader() ? group_.commit_ : applied_; }

void FakeReplica::apply(const std::string& batch, ApplyDone done) {
  if (!leader()) {
    group_.scheduler_.schedule_us(group_.scheduler_.now_us(),
                                  [done = std::move(done)] { done(RAFT_NOTLEADER, {}); });
    return;
  }
  FakeRaftGroup::Entry entry;
  entry.term = group_.term_;
  entry.batch = batch;
  entry.apply_done = std::move(done);
  const raft_index index = group_.append(std::move(entry));
  group_.trace("n" + std::to_string(id_) + " append #" + std::to_string(index) + ": " +
               describe_batch(batch));
}

void FakeReplica::barrier(BarrierDone done) {
  if (!leader()) {
    group_.scheduler_.schedule_us(group_.scheduler_.now_us(),
                                  [done = std::move(done)] { done(RAFT_NOTLEADER, 0); });
    return;
  }
  FakeRaftGroup::Entry entry;
  entry.term = group_.term_;
  entry.barrier = true;
  entry.barrier_done = std::move(done);
  const raft_index index = group_.append(std::move(entry));
  group_.trace("n" + std::to_string(id_) + " append #" + std::to_string(index) + ": (barrier)");
}

void FakeReplica::set_write_refusal(std::optional<std::string> refusal) {
  write_refusal_ = std::move(refusal);
  notify();
}

void FakeReplica::set_unavailable(bool unavailable) {
  unavailable_ = unavailable;
  notify();
}

std::int64_t FakeReplica::counter(const std::string& key) const {
  const auto found = counters_.find(key);
  return found == counters_.end() ? 0 : found->second;
}

bool FakeReplica::apply_up_to(raft_index index) {
  bool changed = false;
  while (applied_ < index && applied_ < group_.commit_) {
    const raft_index next = applied_ + 1;
    FakeRaftGroup::Entry& entry = group_.log_.at(next - group_.first_index_);
    std::vector<commands::Reply> replies;
    commands::OpBatchReader reader(entry.batch);
    std::vector<std::string_view> args;
    while (!entry.batch.empty() && reader.next(args)) {
      if (args.size() == 2 && args[0] == "INCR") {
        replies.push_back(commands::Reply::number(++counters_[std::string(args[1])]));
      } else if (!args.empty() && args[0] == commands::kExpiredOp) {
        replies.push_back(commands::Reply::number(static_cast<std::int64_t>(args.size() - 1)));
      } else {
        replies.push_back(commands::Reply::ok());
      }
    }
    applied_ = next;
    changed = true;
    // Only the leader that appended an entry holds its callbacks (old terms were dropped).
    if (group_.leader_ == id_) {
      if (entry.election && entry.term == group_.term_) ready_ = true;
      if (auto done = std::exchange(entry.apply_done, nullptr)) done(0, replies);
      if (auto done = std::exchange(entry.barrier_done, nullptr)) done(0, next);
    }
  }
  if (changed) notify();
  return changed;
}

void FakeReplica::notify() {
  for (const auto& observer : observers_) {
    group_.scheduler_.schedule_us(group_.scheduler_.now_us(), observer);
  }
}

// FakeRaftGroup

FakeRaftGroup::FakeRaftGroup(VirtualScheduler& scheduler, FakeRaftOptions options)
    : scheduler_(scheduler), options_(options) {
  log_.emplace_back();  // index 1: the bootstrap configuration
}

FakeReplica& FakeRaftGroup::add(raft_id id) {
  auto& replica = replicas_[id];
  replica = std::make_unique<FakeReplica>(*this, id);
  replica->applied_ = commit_;
  return *replica;
}

void FakeRaftGroup::elect(raft_id id) {
  ++term_;
  // Uncommitted entries of the old term are lost with its leader.
  for (raft_index index = commit_ + 1; index <= last_index(); ++index) {
    trace("drop #" + std::to_string(index) + " (leadership lost)");
  }
  std::vector<Entry> dropped;
  while (last_index() > commit_) {
    dropped.push_back(std::move(log_.back()));
    log_.pop_back();
  }
  for (auto entry = dropped.rbegin(); entry != dropped.rend(); ++entry) {
    if (entry->apply_done) {
      scheduler_.schedule_us(scheduler_.now_us(), [done = std::move(entry->apply_done)] {
        done(RAFT_LEADERSHIPLOST, {});
      });
    }
    if (entry->barrier_done) {
      scheduler_.schedule_us(scheduler_.now_us(), [done = std::move(entry->barrier_done)] {
        done(RAFT_LEADERSHIPLOST, 0);
      });
    }
  }
  leader_ = id;
  for (auto& [other, replica] : replicas_) replica->ready_ = false;
  trace(id == 0 ? "no leader (term " + std::to_string(term_) + ")"
                : "n" + std::to_string(id) + " leads (term " + std::to_string(term_) + ")");
  if (id != 0) {
    Entry barrier;
    barrier.term = term_;
    barrier.barrier = true;
    barrier.election = true;
    const raft_index index = append(std::move(barrier));
    trace("n" + std::to_string(id) + " append #" + std::to_string(index) +
          ": (election barrier)");
  }
  for (auto& [other, replica] : replicas_) replica->notify();
}

void FakeRaftGroup::hold_commits(bool hold) {
  hold_ = hold;
  if (!hold_) scheduler_.schedule_us(scheduler_.now_us(), [this] { commit_due(); });
}

raft_index FakeRaftGroup::append(Entry entry) {
  const std::uint64_t previous = log_.back().commit_at_us;
  entry.commit_at_us = std::max(previous, scheduler_.now_us() + options_.commit_us);
  log_.push_back(std::move(entry));
  schedule_commit(last_index());
  return last_index();
}

void FakeRaftGroup::schedule_commit(raft_index index) {
  scheduler_.schedule_us(entry(index).commit_at_us, [this] { commit_due(); });
}

void FakeRaftGroup::commit_due() {
  if (hold_) return;
  const raft_index before = commit_;
  while (commit_ < last_index() && entry(commit_ + 1).commit_at_us <= scheduler_.now_us()) {
    ++commit_;
    trace("commit #" + std::to_string(commit_));
  }
  if (commit_ == before) return;
  const raft_index committed = commit_;
  if (leader_ != 0) replicas_.at(leader_)->apply_up_to(committed);
  for (auto& [id, replica] : replicas_) {
    if (id == leader_) continue;
    scheduler_.schedule_us(scheduler_.now_us() + options_.follower_apply_us,
                           [replica = replica.get(), committed] { replica->apply_up_to(committed); });
  }
}

void FakeRaftGroup::trace(const std::string& line) {
  if (trace_) trace_(line);
}

}  // namespace keepdb::consensus::testing
