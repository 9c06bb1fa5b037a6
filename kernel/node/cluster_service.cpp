// ClusterService: status, members, reads and membership changes over the raft node.
#include "kernel/node/cluster_service.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "kernel/consensus/peer/member_address.h"
#include "kernel/log/log.h"

namespace keepdb::node {

using consensus::RaftNode;

namespace {

const char* role_name(int role) {
  switch (role) {
    case RAFT_VOTER:
      return "voter";
    case RAFT_STANDBY:
      return "standby";
    default:
      return "spare";
  }
}

const char* state_name(int state) {
  switch (state) {
    case RAFT_LEADER:
      return "leader";
    case RAFT_CANDIDATE:
      return "candidate";
    case RAFT_FOLLOWER:
      return "follower";
    default:
      return "unavailable";
  }
}

bool is_voter(const RaftNode& raft, raft_id id) {
  const auto members = raft.members();
  return std::any_of(members.begin(), members.end(), [id](const consensus::RaftMember& member) {
    return member.id == id && member.role == RAFT_VOTER;
  });
}

}  // namespace

ClusterService::ClusterService(boost::asio::io_context& io, RaftNode& raft,
                               consensus::ReadBarrier& reads)
    : io_(io), raft_(raft), reads_(reads) {}

commands::Cluster::Status ClusterService::status() const {
  const consensus::RaftMember leader = raft_.leader_member();
  return {.self_id = raft_.id(),
          .role = state_name(raft_.state()),
          .ready = raft_.ready(),
          .leader_id = leader.id,
          .leader_client_address = consensus::parse_member_address(leader.address).client,
          .term = raft_.term(),
          .commit_index = raft_.commit_index(),
          .applied_index = raft_.applied_index(),
          .last_log_index = raft_.last_index()};
}

std::vector<commands::Cluster::Member> ClusterService::members() const {
  std::vector<Member> members;
  for (const consensus::RaftMember& member : raft_.members()) {
    const auto address = consensus::parse_member_address(member.address);
    members.push_back({member.id, address.peer, address.client, role_name(member.role)});
  }
  return members;
}

std::size_t ClusterService::replicas_in_sync() const {
  return raft_.other_voters_holding(raft_.commit_index());
}

void ClusterService::wait_linearizable(Done done) {
  reads_.wait([done = std::move(done)](std::optional<std::string> error, std::uint64_t) {
    done(std::move(error));
  });
}

bool ClusterService::linearizable_now() const {
  return reads_.immediate();
}

std::string ClusterService::describe_failure(int status) const {
  if (status == RAFT_NOTLEADER) {
    const auto leader = raft_.leader_member();
    if (leader.id == 0) return "TRYAGAIN no leader";
    return "ERR not the leader: run this on server " + std::to_string(leader.id) + " (" +
           consensus::parse_member_address(leader.address).client + ")";
  }
  if (status == RAFT_NOCONNECTION) return "ERR the new member did not catch up in time";
  return std::string("ERR ") + raft_strerror(status);
}

void ClusterService::refuse(Done done, std::string error) const {
  boost::asio::post(io_, [done = std::move(done), error = std::move(error)] { done(error); });
}

RaftNode::ChangeDone ClusterService::finish_with(Done done) const {
  return [this, done = std::move(done)](int status) {
    done(status == 0 ? std::nullopt : std::optional<std::string>(describe_failure(status)));
  };
}

void ClusterService::add_member(std::uint64_t id, const std::string& peer_address,
                                const std::string& client_address, Done done) {
  if (!consensus::split_host_port(peer_address) || !consensus::split_host_port(client_address)) {
    refuse(std::move(done), "ERR addresses must be host:port");
    return;
  }
  const std::string address = consensus::encode_member_address({peer_address, client_address});
  log::info("adding server ", id, " at ", address, " as a spare");
  raft_.add(id, address, [this, id, done = std::move(done)](int status) mutable {
    if (status != 0) {
      finish_with(std::move(done))(status);
      return;
    }
    log::info("server ", id, " added; catching it up and promoting it to voter");
    raft_.assign(id, RAFT_VOTER, finish_with(std::move(done)));
  });
}

void ClusterService::remove_member(std::uint64_t id, Done done) {
  if (raft_.leader() && !raft_.is_member(id)) {  // raft's own error would not name the id
    refuse(std::move(done), "ERR server " + std::to_string(id) + " is not a member");
    return;
  }
  log::info("removing server ", id);
  raft_.remove(id, finish_with(std::move(done)));
}

void ClusterService::transfer_leadership(std::uint64_t id, Done done) {
  if (!raft_.leader()) {
    refuse(std::move(done), describe_failure(RAFT_NOTLEADER));
    return;
  }
  // raft refuses these too, but its callback only tells that leadership did not move.
  if (id == raft_.id()) {
    refuse(std::move(done), "ERR server " + std::to_string(id) + " already leads");
    return;
  }
  if (id != 0 && !is_voter(raft_, id)) {
    refuse(std::move(done), "ERR server " + std::to_string(id) + " is not a voting member");
    return;
  }
  raft_.transfer(id, [this, id, done = std::move(done)] {
    const raft_id leader = raft_.leader_member().id;
    const bool moved = leader != 0 && leader != raft_.id() && (id == 0 || leader == id);
    done(moved ? std::nullopt
               : std::optional<std::string>("ERR leadership did not move; try again"));
  });
}

void ClusterService::snapshot(Done done) { raft_.snapshot_now(finish_with(std::move(done))); }

}  // namespace keepdb::node
