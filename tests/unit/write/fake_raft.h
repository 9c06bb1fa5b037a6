// FakeRaftGroup: a scripted Raft group on the virtual clock, for the write-path tests. Each
// FakeReplica is one server's RaftReplica (kernel/consensus/write/raft_replica.h); the group
// holds the one log they share and decides, by the test's script, who leads.
//
// The model, kept as small as the write path needs:
//   - elect(id) starts a new term led by `id` (0: no leader); every replica learns it at
//     once. The new leader appends its election barrier and is ready() once that commits.
//     Entries of the old term that had not committed are dropped: their apply and barrier
//     callbacks get RAFT_LEADERSHIPLOST.
//   - apply() and barrier() on the leader append one entry. Entries commit in log order,
//     `commit_us` after they were appended (replication and the fsync), unless commits are
//     held (hold_commits). The leader applies an entry when it commits and calls its
//     callback then; each follower applies it `follower_apply_us` later (the next heartbeat
//     tells it the commit index).
//   - Each replica applies batches to a tiny state machine: INCR key gives the new count
//     (so reply order shows apply order), keepdb.expired gives the number of keys named,
//     every other op gives +OK.
//   - Observers (on_change) run in their own scheduler event after every change of role,
//     leader, readiness or applied index, never inside a call.
//   - Faults per replica: a storage refusal (write_refusal) and UNAVAILABLE.
// Every append, commit and election is reported to the group's trace, one line each.
//
// Thread-safety: none; the simulation's thread only. Lifetime: the scheduler outlives the
// group; replicas belong to the group.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/consensus/write/raft_replica.h"
#include "tests/unit/consensus/virtual_clock.h"

namespace keepdb::consensus::testing {

struct FakeRaftOptions {
  std::uint64_t commit_us = 2000;          // append -> commit (replication and fsync)
  std::uint64_t follower_apply_us = 1000;  // commit on the leader -> applied on a follower
};

class FakeRaftGroup;

class FakeReplica final : public RaftReplica {
 public:
  FakeReplica(FakeRaftGroup& group, raft_id id) : group_(group), id_(id) {}

  raft_id id() const override { return id_; }
  bool leader() const override;
  bool ready() const override { return leader() && ready_; }
  bool unavailable() const override { return unavailable_; }
  bool sole_voter_leader() const override;
  std::optional<std::string> write_refusal() const override { return write_refusal_; }
  std::optional<std::string> read_refusal() const override { return read_refusal_; }
  Leader leader_member() const override;
  std::string address_of(raft_id id) const override;
  raft_index commit_index() const override;
  raft_index applied_index() const override { return applied_; }
  void apply(const std::string& batch, ApplyDone done) override;
  void barrier(BarrierDone done) override;
  void on_change(std::function<void()> observer) override {
    observers_.push_back(std::move(observer));
  }

  // Faults. Each notifies the observers.
  void set_write_refusal(std::optional<std::string> refusal);
  void set_read_refusal(std::optional<std::string> refusal) { read_refusal_ = std::move(refusal); }
  void set_unavailable(bool unavailable);

  // The value of `key` in this replica's state machine (INCR counts).
  std::int64_t counter(const std::string& key) const;

 private:
  friend class FakeRaftGroup;
  // Applies the group's committed entries up to `index`; true when anything was applied.
  bool apply_up_to(raft_index index);
  // Runs every observer in a scheduler event of its own.
  void notify();

  FakeRaftGroup& group_;
  const raft_id id_;
  bool ready_ = false;
  bool unavailable_ = false;
  std::optional<std::string> write_refusal_;
  std::optional<std::string> read_refusal_;
  raft_index applied_ = 0;
  std::map<std::string, std::int64_t> counters_;
  std::vector<std::function<void()>> observers_;
};

class FakeRaftGroup {
 public:
  using Trace = std::function<void(const std::string& line)>;

  FakeRaftGroup(VirtualScheduler& scheduler, FakeRaftOptions options = {});

  // Adds a voter; its raft address is "n<id>".
  FakeReplica& add(raft_id id);
  FakeReplica& replica(raft_id id) { return *replicas_.at(id); }
  std::size_t size() const { return replicas_.size(); }

  // A new term led by `id` (0: no leader), as described above.
  void elect(raft_id id);
  // While held, no entry commits; releasing commits what is due.
  void hold_commits(bool hold);

  void set_trace(Trace trace) { trace_ = std::move(trace); }
  raft_id leader_id() const { return leader_; }
  raft_term term() const { return term_; }
  raft_index commit_index() const { return commit_; }
  raft_index last_index() const { return first_index_ + log_.size() - 1; }
  VirtualScheduler& scheduler() { return scheduler_; }

 private:
  friend class FakeReplica;
  struct Entry {
    raft_term term = 0;
    std::string batch;  // empty for a barrier
    bool barrier = false;
    bool election = false;  // a new leader's first entry
    RaftReplica::ApplyDone apply_done;
    RaftReplica::BarrierDone barrier_done;
    std::uint64_t commit_at_us = 0;
  };
  const Entry& entry(raft_index index) const { return log_.at(index - first_index_); }
  raft_index append(Entry entry);
  void schedule_commit(raft_index index);
  void commit_due();
  void trace(const std::string& line);

  VirtualScheduler& scheduler_;
  const FakeRaftOptions options_;
  std::map<raft_id, std::unique_ptr<FakeReplica>> replicas_;
  raft_id leader_ = 0;
  raft_term term_ = 0;
  // The log: index first_index_ + i is log_[i]. Index 1 is the bootstrap configuration.
  std::deque<Entry> log_;
  raft_index first_index_ = 1;
  raft_index commit_ = 1;
  bool hold_ = false;
  Trace trace_;
};

// "SET a 1 | INCR x" for a batch (op_batch.h encoding); "(barrier)" for an empty one.
std::string describe_batch(const std::string& batch);

}  // namespace keepdb::consensus::testing
