// RaftNode: libraft start-up, requests with owned callbacks, and the post-event poll.
#include "kernel/consensus/raft/raft_node.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "kernel/log/log.h"

namespace keepdb::consensus {
namespace {

using namespace std::chrono_literals;

const std::vector<commands::Reply> kNoReplies;
constexpr std::chrono::milliseconds kFirstRetryDelay = 100ms;
constexpr std::chrono::milliseconds kLastRetryDelay = 2s;

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

RaftNode::RaftNode(boost::asio::io_context& io, storage::LogStorage& storage, PeerTransport& transport,
                   KvFsm& fsm, RaftNodeOptions options)
    : io_(io),
      storage_(storage),
      options_(std::move(options)),
      fsm_(fsm),
      asio_executor_(io),
      executor_(asio_executor_, [this] { poll(); }),
      snapshot_transfer_(std::make_unique<SnapshotTransfer>(asio_executor_, transport, fsm,
                                                            transfer_options())),
      raft_io_(std::make_unique<RaftIo>(executor_, storage, transport, io_options())),
      transport_(transport),
      retry_timer_(io) {}

RaftNode::~RaftNode() = default;

RaftIoOptions RaftNode::io_options() {
  RaftIoOptions options;
  options.snapshot_transfer = snapshot_transfer_.get();
  return options;
}

SnapshotTransferOptions RaftNode::transfer_options() {
  SnapshotTransferOptions options;
  // A joining server has no configuration before its snapshot: the leader, or the
  // configured members, tell it where the leader is.
  options.address_of = [this](raft_id id) {
    if (std::string address = address_of(id); !address.empty()) return address;
    if (const RaftMember leader = leader_member(); leader.id == id) return leader.address;
    for (const RaftMember& member : options_.members) {
      if (member.id == id) return member.address;
    }
    return std::string();
  };
  return options;
}

int RaftNode::init_and_start(bool bootstrap, const char*& failed_step) {
  bool log_was_empty = false;
  failed_step = "raft_init";
  if (int rv =
          raft_init(&raft_, raft_io_->get(), fsm_.get(), options_.id, options_.address.c_str())) {
    return rv;
  }
  initialized_ = true;
  fsm_.bind(&raft_);
  raft_set_heartbeat_timeout(&raft_, options_.heartbeat_timeout_ms);
  raft_set_election_timeout(&raft_, options_.election_timeout_ms);
  raft_set_install_snapshot_timeout(&raft_, options_.install_snapshot_timeout_ms);
  raft_set_max_catch_up_round_duration(&raft_, options_.max_catch_up_round_duration_ms);
  raft_set_snapshot_threshold(&raft_, options_.snapshot_threshold);
  raft_set_snapshot_trailing(&raft_, options_.snapshot_trailing);
  raft_set_pre_vote(&raft_, true);
  if (bootstrap) {
    raft_configuration configuration;
    raft_configuration_init(&configuration);
    int rv = 0;
    for (const RaftMember& member : options_.members) {
      if (rv == 0)
        rv = raft_configuration_add(&configuration, member.id, member.address.c_str(), member.role);
    }
    if (rv == 0) rv = raft_bootstrap(&raft_, &configuration);
    raft_configuration_close(&configuration);
    log_was_empty = rv == 0;
    if (rv == 0) {
      log::info("bootstrapped a new cluster of ", options_.members.size(), " voter(s)");
    } else if (rv != RAFT_CANTBOOTSTRAP) {  // CANTBOOTSTRAP: the log already has state
      failed_step = "raft_bootstrap";
      return rv;
    }
  }
  failed_step = "raft_start";
  const int rv = raft_start(&raft_);
  if (rv == 0 && (log_was_empty || (!bootstrap && last_index() == 0))) refuse_store_ahead();
  return rv;
}

void RaftNode::refuse_store_ahead() {
  // A store that has applied entries never starts over an empty log: the log was lost or is
  // elsewhere, and the entries it would number anew would be taken for applied. (A store
  // ahead of a log that is not empty is normal after a snapshot install: kv_fsm.h.)
  if (fsm_.applied_index() > 0) {
    exit_unrecoverable(
        "the key-value store has applied raft log entries up to index " +
            std::to_string(fsm_.applied_index()) +
            ", but this server's raft log was empty: it was lost, or storage.log_dir names "
            "another directory than the one the store was written with",
        "put back this server's raft log (storage.log_dir; by default the raft folder of its "
        "data folder), or empty its data folder and log and let it rejoin from the cluster (a "
        "single server: restore a backup of its data folder and log)");
  }
}

void RaftNode::start() {
  const char* failed_step = nullptr;
  if (int rv = init_and_start(options_.bootstrap, failed_step)) {
    if (!initialized_) throw std::runtime_error(std::string("raft_init: ") + raft_strerror(rv));
    if (handle_storage_failure()) return;  // a full disk at start-up: retried like any other
    abandon(failed_step, rv);
  }
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
  if (restarting_) {  // between a failure's close and the restart: nothing left to close
    shut_down_ = true;
    retry_timer_.cancel();
    boost::asio::post(io_, std::move(closed));
    return;
  }
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

unsigned RaftNode::other_voters_holding(raft_index index) const {
  unsigned voters = 0;
  unsigned holding = 0;
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const raft_server& server = raft_.configuration.servers[i];
    if (server.role != RAFT_VOTER) continue;
    ++voters;
    if (server.id != options_.id && leader() &&
        raft_.leader_state.progress[i].match_index >= index) {
      ++holding;
    }
  }
  if (leader()) return holding;
  return voters == 0 ? 0 : voters / 2;  // a majority (voters / 2 + 1) less one
}

bool RaftNode::sole_voter() const {
  unsigned voters = 0;
  bool self = false;
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const raft_server& server = raft_.configuration.servers[i];
    if (server.role != RAFT_VOTER) continue;
    ++voters;
    self = self || server.id == options_.id;
  }
  return voters == 1 && self;
}

bool RaftNode::sole_voter_leader() const {
  if (fault_) return fault_->sole_voter;
  return ready() && sole_voter();
}

std::optional<std::string> RaftNode::write_refusal() const {
  // A failure poll() has not handled yet counts already: a log write made inline fails
  // the callbacks of its entries before poll() runs, and they must get this refusal too.
  util::IoStatus cause = fault_ ? fault_->cause : storage_.failure();
  if (cause.ok()) cause = fsm_.failure();
  if (cause.ok()) return std::nullopt;
  if (cause.code == RAFT_CORRUPT) {  // poll() stops the server (handle_storage_failure)
    return "ERR KeepDB stops: " + cause.message;
  }
  return "MISCONF KeepDB cannot write to disk: " + cause.message +
         "; writes are refused until it can write again (free space if the disk is full)";
}

std::optional<std::string> RaftNode::read_refusal() const {
  if (!fsm_.lost_applied()) return std::nullopt;
  return "MISCONF KeepDB cannot write to disk" +
         (fault_ ? ": " + fault_->cause.message : std::string()) +
         "; reads are refused until the store has replayed the writes it could not commit "
         "(free space if the disk is full)";
}

bool RaftNode::handle_storage_failure() {
  util::IoStatus cause = storage_.failure();
  const bool log_failed = !cause.ok();
  if (!log_failed) cause = fsm_.failure();
  if (cause.ok()) return false;
  if (log_failed && cause.code != RAFT_NOSPACE) {
    exit_unrecoverable("cannot write the raft log: " + cause.message);
  }
  if (!log_failed && cause.code == RAFT_CORRUPT) {
    exit_unrecoverable(cause.message,
                       "this server stops rather than let its data differ from the other "
                       "servers': run the leader's keepd version here (a newer leader's entry), "
                       "or replace this server's data folder with a copy from a healthy one");
  }
  if (!fault_) {
    fault_ = Fault{cause, sole_voter()};
    retry_delay_ = kFirstRetryDelay;
    log::error("cannot write to disk: ", cause.message,
               "; refusing writes and restarting raft until the disk can be written again");
  } else {
    retry_delay_ = std::min(retry_delay_ * 2, kLastRetryDelay);
  }
  ready_ = false;
  started_ = false;  // nothing is submitted to raft until it restarts
  close([this] {
    raft_ = {};  // raft freed its memory: every accessor reads an empty, unavailable server
    restarting_ = true;
    retry_timer_.expires_after(retry_delay_);
    retry_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error && !shut_down_) restart_after_failure();
    });
  });
  for (const auto& observer : observers_) observer();  // waiting writes get the refusal
  return true;
}

void RaftNode::restart_after_failure() {
  if (!storage_.reset_after_failure()) {
    exit_unrecoverable("the raft log storage cannot reload after a failure: " +
                       fault_->cause.message);
  }
  fsm_.clear_failure();
  raft_io_ = std::make_unique<RaftIo>(executor_, storage_, transport_, io_options());
  initialized_ = false;
  closing_ = false;
  restarting_ = false;
  ++fault_->restarts;
  const char* failed_step = nullptr;
  if (int rv = init_and_start(options_.bootstrap, failed_step)) {
    if (initialized_ && handle_storage_failure()) return;
    exit_unrecoverable(std::string("cannot restart raft after a storage failure: ") +
                       failed_step + ": " + raft_strerror(rv) + " (" + error_message() + ")");
  }
  started_ = true;
  fault_->proof_index = last_index() + 1;
  poll();
}

void RaftNode::exit_unrecoverable(const std::string& reason, std::string_view what_now) {
  log::error(reason, "; exiting: ", what_now);
  std::fflush(nullptr);
  std::_Exit(EXIT_FAILURE);
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

void RaftNode::snapshot_now(std::function<void(int status)> done) {
  if (!leader()) {
    post([done = std::move(done)] { done(RAFT_NOTLEADER); });
    return;
  }
  saves_.push_back({0, std::move(done)});
  size_compaction();
  advance_saves();
}

void RaftNode::advance_saves() {
  if (saves_.empty()) return;
  if (!leader()) {
    for (SaveRequest& save : saves_) post([done = std::move(save.done)] { done(RAFT_NOTLEADER); });
    saves_.clear();
    return;
  }
  const raft_index stored = raft_.log.snapshot.last_index;
  const std::size_t pending = saves_.size();
  std::erase_if(saves_, [&](SaveRequest& save) {
    if (save.target == 0 || stored < save.target) return false;
    post([done = std::move(save.done)] { done(0); });
    return true;
  });
  if (saves_.size() < pending) log::info("snapshot at index ", stored, " stored for SAVE");
  const bool storing = raft_.snapshot.put.data != nullptr || raft_.snapshot.pending.term != 0;
  if (saves_.empty() || save_barrier_in_flight_ || storing) return;
  save_barrier_in_flight_ = true;
  // Raft takes the snapshot right after applying the barrier (this callback runs during
  // that apply); poll() sees it stored.
  barrier([this](Status status, raft_index index) {
    save_barrier_in_flight_ = false;
    for (SaveRequest& save : saves_) {
      if (status == 0 && save.target == 0) save.target = index;
      if (status != 0) post([done = std::move(save.done), status] { done(status); });
    }
    if (status != 0) saves_.clear();
  });
}

void RaftNode::size_compaction() {
  const LogBytes& log = raft_io_->log_bytes();
  const raft_index applied = applied_index();
  const bool by_bytes = options_.snapshot_threshold_bytes != 0;
  const bool over = by_bytes && log.bytes_between(raft_.log.snapshot.last_index, applied) >=
                                    options_.snapshot_threshold_bytes;
  // A pending SAVE needs the threshold at 1 whether or not compaction counts bytes.
  raft_set_snapshot_threshold(&raft_,
                              over || !saves_.empty() ? 1 : options_.snapshot_threshold);
  if (by_bytes && options_.snapshot_trailing > 0) {  // 0 keeps no entry at all
    raft_set_snapshot_trailing(&raft_,
                               log.entries_within(applied, options_.snapshot_threshold_bytes / 2,
                                                  options_.snapshot_trailing));
  }
}

void RaftNode::poll() {
  if (!started_ || closing_) return;
  fsm_.checkpoint_if_due();  // an idle node's last applied entries commit too (kv_fsm.h)
  if (handle_storage_failure()) return;
  if (fault_ && fault_->proof_index != 0 && applied_index() >= fault_->proof_index) {
    log::info("the disk can be written again (after ", fault_->restarts,
              " raft restart(s)): writes resume");
    fault_.reset();
  }
  advance_saves();
  size_compaction();
  const int state = raft_state(&raft_);
  // A leader's own write overlaps with replicating it; anyone else writes inline, and so
  // does a sole voter, whose write has nothing to overlap with.
  storage_.set_write_inline(state == RAFT_FOLLOWER || state == RAFT_CANDIDATE ||
                            (state == RAFT_LEADER && sole_voter()));
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
                       ready_ != last_ready_ || fault_.has_value() != last_fault_;
  last_state_ = state;
  last_leader_ = leader;
  last_applied_ = applied;
  last_ready_ = ready_;
  last_fault_ = fault_.has_value();
  if (changed) {
    for (const auto& observer : observers_) observer();
  }
}

}  // namespace keepdb::consensus
