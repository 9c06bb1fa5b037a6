// RaftNodeReplica: RaftNode (kernel/consensus/raft) as the write path's RaftReplica; every
// call forwards to the node.
//
// Thread-safety and lifetime: as RaftNode; the node outlives this.
#pragma once

#include <string>
#include <utility>

#include "kernel/consensus/raft/raft_node.h"
#include "kernel/consensus/write/raft_replica.h"

namespace keepdb::consensus {

class RaftNodeReplica final : public RaftReplica {
 public:
  explicit RaftNodeReplica(RaftNode& node) : node_(node) {}

  raft_id id() const override { return node_.id(); }
  bool leader() const override { return node_.leader(); }
  bool ready() const override { return node_.ready(); }
  bool unavailable() const override { return node_.unavailable(); }
  bool sole_voter_leader() const override { return node_.sole_voter_leader(); }
  std::optional<std::string> write_refusal() const override { return node_.write_refusal(); }
  std::optional<std::string> read_refusal() const override { return node_.read_refusal(); }
  Leader leader_member() const override {
    RaftMember member = node_.leader_member();
    return {member.id, std::move(member.address)};
  }
  std::string address_of(raft_id id) const override { return node_.address_of(id); }
  raft_index commit_index() const override { return node_.commit_index(); }
  raft_index applied_index() const override { return node_.applied_index(); }
  void apply(const std::string& batch, ApplyDone done) override {
    node_.apply(batch, std::move(done));
  }
  void barrier(BarrierDone done) override { node_.barrier(std::move(done)); }
  void on_change(std::function<void()> observer) override {
    node_.on_change(std::move(observer));
  }

 private:
  RaftNode& node_;
};

}  // namespace keepdb::consensus
