// ClusterService: commands::Cluster over this node's consensus: status and members from
// the raft node, linearizable reads through the read barrier, and membership changes
// (KEEPDB.ADD adds a spare, which raft catches up before the promotion to voter commits).
//
// Thread-safety: network thread only. Lifetime: the raft node, the read barrier and the
// io_context outlive it.
#pragma once

#include <boost/asio/io_context.hpp>

#include "kernel/commands/cluster.h"
#include "kernel/consensus/raft/raft_node.h"
#include "kernel/consensus/write/read_barrier.h"

namespace keepdb::node {

class ClusterService final : public commands::Cluster {
 public:
  ClusterService(boost::asio::io_context& io, consensus::RaftNode& raft,
                 consensus::ReadBarrier& reads);

  Status status() const override;
  std::vector<Member> members() const override;
  std::size_t replicas_in_sync() const override;
  void wait_linearizable(Done done) override;
  bool linearizable_now() const override;
  void add_member(std::uint64_t id, const std::string& peer_address,
                  const std::string& client_address, Done done) override;
  void remove_member(std::uint64_t id, Done done) override;
  void transfer_leadership(std::uint64_t id, Done done) override;
  void snapshot(Done done) override;

 private:
  // The error line for a failed raft request.
  std::string describe_failure(int status) const;
  // Fails a request before raft sees it: runs `done` with `error` later, never inside the call.
  void refuse(Done done, std::string error) const;
  consensus::RaftNode::ChangeDone finish_with(Done done) const;

  boost::asio::io_context& io_;
  consensus::RaftNode& raft_;
  consensus::ReadBarrier& reads_;
};

}  // namespace keepdb::node
