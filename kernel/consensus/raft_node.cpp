// RaftNode: libraft start-up, requests with owned callbacks, and the post-event poll.
#include "kernel/consensus/raft_node.h"

#include <boost/asio/post.hpp>
#include <cstring>
#include <stdexcept>

#include "kernel/log/log.h"

namespace keepdb::consensus {
namespace {

const std::vector<commands::Reply> kNoReplies;

struct ApplyRequest {
  struct raft_apply request {};
  RaftNode::ApplyDone done;
};
struct BarrierRequest {
  struct raft_barrier request {};
  RaftNode::BarrierDone done;
};
struct ChangeRequest {
  struct raft_change request {};
  RaftNode::ChangeDone done;
};

}  // namespace

struct RaftNode::Transfer {
  struct raft_transfer request {};
  std::function<void()> done;
};

RaftNode::RaftNode(boost::asio::io_context& io, LogStorage& storage, PeerTransport& transport,
                   KvFsm& fsm, RaftNodeOptions options)
    : io_(io),
      storage_(storage),
      options_(std::move(options)),
      fsm_(fsm),
      asio_executor_(io),
      executor_(asio_executor_, [this] { poll(); }),
      raft_io_(std::make_unique<RaftIo>(executor_, storage, transport, RaftIoOptions{})) {}

RaftNode::~RaftNode() = default;

void RaftNode::start() {
  if (int rv =
          raft_init(&raft_, raft_io_->get(), fsm_.get(), options_.id, options_.address.c_str())) {
    throw std::runtime_error(std::string("raft_init: ") + raft_strerror(rv));
  }
  initialized_ = true;
  fsm_.bind(&raft_);
  raft_set_heartbeat_timeout(&raft_, options_.heartbeat_timeout_ms);
  raft_set_election_timeout(&raft_, options_.election_timeout_ms);
  raft_set_install_snapshot_timeout(&raft_, options_.install_snapshot_timeout_ms);
  raft_set_snapshot_threshold(&raft_, options_.snapshot_threshold);
  raft_set_snapshot_trailing(&raft_, options_.snapshot_trailing);
  raft_set_pre_vote(&raft_, true);
  if (options_.bootstrap) {
    raft_configuration configuration;
    raft_configuration_init(&configuration);
    int rv = 0;
    for (const RaftMember& member : options_.members) {
      if (rv == 0)
        rv = raft_configuration_add(&configuration, member.id, member.address.c_str(), member.role);
    }
    if (rv == 0) rv = raft_bootstrap(&raft_, &configuration);
    raft_configuration_close(&configuration);
    if (rv == 0) {
      log::info("bootstrapped a new cluster of ", options_.members.size(), " voter(s)");
    } else if (rv != RAFT_CANTBOOTSTRAP) {  // CANTBOOTSTRAP: the log already has state
      abandon("raft_bootstrap", rv);
    }
  }
  if (int rv = raft_start(&raft_)) abandon("raft_start", rv);
  started_ = true;
  log::info("raft server ", options_.id, " started: term ", raft_.current_term, ", log up to ",
            last_index(), ", applied ", applied_index());
  poll();
}

void RaftNode::abandon(const char* what, int rv) {
  const std::string message =
      std::string(what) + ": " + raft_strerror(rv) + " (" + error_message() + ")";
  bool closed = false;
  close([&closed] { closed = true; });
  io_.restart();  // nothing else runs yet: drain raft's close before unwinding
  while (!closed && io_.run_one() > 0) {
  }
  throw std::runtime_error(message);
}

void RaftNode::close(std::function<void()> closed) {
  if (!initialized_ || closing_) {
    boost::asio::post(io_, std::move(closed));
    return;
  }
  closing_ = true;
  struct Closing {
    std::function<void()> closed;
  };
  raft_.data = new Closing{std::move(closed)};
  raft_close(&raft_, [](struct raft* raft) {
    std::unique_ptr<Closing> closing(static_cast<Closing*>(raft->data));
    closing->closed();
  });
}

std::string RaftNode::error_message() const {
  const std::string message = raft_errmsg(const_cast<struct raft*>(&raft_));
  return message.empty() ? std::string(raft_io_->get()->errmsg) : message;
}

int RaftNode::state() const {
  return raft_state(const_cast<struct raft*>(&raft_));
}

RaftMember RaftNode::leader_member() const {
  raft_id id = 0;
  const char* address = nullptr;
  raft_leader(const_cast<struct raft*>(&raft_), &id, &address);
  return {id, address != nullptr ? address : "", RAFT_VOTER};
}

std::vector<RaftMember> RaftNode::members() const {
  std::vector<RaftMember> members;
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const raft_server& server = raft_.configuration.servers[i];
    members.push_back({server.id, server.address, server.role});
  }
  return members;
}

std::string RaftNode::address_of(raft_id id) const {
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    if (raft_.configuration.servers[i].id == id) return raft_.configuration.servers[i].address;
  }
  return {};
}

bool RaftNode::is_member(raft_id id) const {
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    if (raft_.configuration.servers[i].id == id) return true;
  }
  return false;
}

bool RaftNode::sole_voter_leader() const {
  if (!ready()) return false;
  unsigned voters = 0;
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    voters += raft_.configuration.servers[i].role == RAFT_VOTER ? 1 : 0;
  }
  return voters == 1;
}

void RaftNode::post(std::function<void()> task) {
  executor_.post(std::move(task));
}

void RaftNode::apply(const std::string& batch, ApplyDone done) {
  auto request = std::make_unique<ApplyRequest>();
  request->done = std::move(done);
  request->request.data = request.get();
  raft_buffer buffer{raft_malloc(batch.size()), batch.size()};
  int rv = RAFT_NOMEM;
  if (buffer.base != nullptr && started_ && !closing_) {
    std::memcpy(buffer.base, batch.data(), batch.size());
    rv =
        raft_apply(&raft_, &request->request, &buffer, 1,
                   [](struct raft_apply* req, int status, void* result) {
                     std::unique_ptr<ApplyRequest> owned(static_cast<ApplyRequest*>(req->data));
                     const auto* replies = static_cast<const std::vector<commands::Reply>*>(result);
                     owned->done(status, status == 0 && replies != nullptr ? *replies : kNoReplies);
                   });
  }
  if (rv != 0) {
    raft_free(buffer.base);  // still ours after a failed raft_apply
    post([done = std::move(request->done), rv] { done(rv, kNoReplies); });
    return;
  }
  request.release();  // raft owns it until the callback
}

void RaftNode::barrier(BarrierDone done) {
  auto request = std::make_unique<BarrierRequest>();
  request->done = std::move(done);
  request->request.data = request.get();
  const int rv = started_ && !closing_
                     ? raft_barrier(&raft_, &request->request,
                                    [](struct raft_barrier* req, int status) {
                                      std::unique_ptr<BarrierRequest> owned(
                                          static_cast<BarrierRequest*>(req->data));
                                      owned->done(status, req->index);
                                    })
                     : RAFT_NOTLEADER;
  if (rv != 0) {
    post([done = std::move(request->done), rv] { done(rv, 0); });
    return;
  }
  request.release();
}

namespace {

template <typename Submit>
void submit_change(RaftNode::ChangeDone done, bool can_submit, const Submit& submit,
                   const std::function<void(std::function<void()>)>& post) {
  auto request = std::make_unique<ChangeRequest>();
  request->done = std::move(done);
  request->request.data = request.get();
  const int rv =
      can_submit
          ? submit(&request->request,
                   [](struct raft_change* req, int status) {
                     std::unique_ptr<ChangeRequest> owned(static_cast<ChangeRequest*>(req->data));
                     owned->done(status);
                   })
          : RAFT_NOTLEADER;
  if (rv != 0) {
    post([done = std::move(request->done), rv] { done(rv); });
    return;
  }
  request.release();
}

}  // namespace

void RaftNode::add(raft_id id, const std::string& address, ChangeDone done) {
  submit_change(
      std::move(done), started_ && !closing_,
      [&](struct raft_change* req, raft_change_cb cb) {
        return raft_add(&raft_, req, id, address.c_str(), cb);
      },
      [this](std::function<void()> task) { post(std::move(task)); });
}

void RaftNode::assign(raft_id id, int role, ChangeDone done) {
  submit_change(
      std::move(done), started_ && !closing_,
      [&](struct raft_change* req, raft_change_cb cb) {
        return raft_assign(&raft_, req, id, role, cb);
      },
      [this](std::function<void()> task) { post(std::move(task)); });
}

void RaftNode::remove(raft_id id, ChangeDone done) {
  submit_change(
      std::move(done), started_ && !closing_,
      [&](struct raft_change* req, raft_change_cb cb) { return raft_remove(&raft_, req, id, cb); },
      [this](std::function<void()> task) { post(std::move(task)); });
}

void RaftNode::transfer(raft_id id, std::function<void()> done) {
  auto& transfer = transfers_.emplace_back(std::make_unique<Transfer>());
  transfer->done = std::move(done);
  transfer->request.data = transfer.get();
  const int rv = started_ && !closing_ ? raft_transfer(&raft_, &transfer->request, id,
                                                       [](struct raft_transfer* req) {
                                                         static_cast<Transfer*>(req->data)->done();
                                                       })
                                       : RAFT_NOTLEADER;
  if (rv != 0) {
    log::warn("leadership transfer to ", id, " refused: ", raft_strerror(rv));
    post(std::move(transfer->done));
    transfers_.pop_back();
  }
}

void RaftNode::start_leader_barrier() {
  leader_barrier_in_flight_ = true;
  const raft_term term = raft_.current_term;
  barrier([this, term](Status status, raft_index index) {
    leader_barrier_in_flight_ = false;
    if (status == 0 && leader() && raft_.current_term == term) {
      ready_ = true;
      log::info("leader for term ", term, " is ready (election barrier applied at index ", index,
                ")");
    }
  });
}

void RaftNode::poll() {
  if (!started_ || closing_) return;
  const int state = raft_state(&raft_);
  // A leader's own write overlaps with replicating it; anyone else writes inline.
  storage_.set_write_inline(state == RAFT_FOLLOWER || state == RAFT_CANDIDATE);
  if (state == RAFT_UNAVAILABLE && !unavailable_logged_) {
    unavailable_logged_ = true;
    log::error("consensus is UNAVAILABLE (", error_message(),
               "): this server refuses service until it is restarted");
  }
  if (state == RAFT_LEADER) {
    if (last_state_ != RAFT_LEADER || leader_term_ != raft_.current_term) {
      ready_ = false;
      leader_term_ = raft_.current_term;
      log::info("elected leader for term ", leader_term_);
    }
    if (!ready_ && !leader_barrier_in_flight_) start_leader_barrier();
  } else {
    ready_ = false;
  }
  const raft_id leader = leader_member().id;
  if (leader != last_leader_) {
    if (leader == 0) {
      log::info("no known leader (term ", raft_.current_term, ")");
    } else {
      log::info("leader is server ", leader, " (term ", raft_.current_term, ")");
    }
  }
  const raft_index applied = applied_index();
  const bool changed = state != last_state_ || leader != last_leader_ || applied != last_applied_ ||
                       ready_ != last_ready_;
  last_state_ = state;
  last_leader_ = leader;
  last_applied_ = applied;
  last_ready_ = ready_;
  if (changed) {
    for (const auto& observer : observers_) observer();
  }
}

}  // namespace keepdb::consensus
