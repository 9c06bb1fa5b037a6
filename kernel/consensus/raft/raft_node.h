// RaftNode: one libraft server on the network thread: its raft_io (RaftIo over the LMDB
// log store and a peer transport), the key-value FSM, start-up (bootstrap of the initial
// members, or join), and what the rest of the node asks of consensus: apply a batch, run a
// barrier, change membership, transfer leadership, and report status.
//
// It applies mitigations for known libraft 0.15 bugs: after every tick, receive or
// completion it polls raft_state(); on winning an election it runs a barrier at once and
// reports ready() only after it, so clients never write through a leader whose commit
// index lags; a server that turns RAFT_UNAVAILABLE is logged once and reported by
// unavailable(), and the node refuses service. Pre-vote is on, the install-snapshot
// timeout is 3 s, the election timeout stays far above an fsync.
//
// Compaction (docs/cluster.md, "Log compaction"): by entries (snapshot_threshold and
// snapshot_trailing) and by bytes (snapshot_threshold_bytes, see size_compaction()), so the
// log held in memory and on disk, and what a restart replays, are bounded by bytes.
//
// Storage failures (docs/cluster.md, "Durability and storage"): when the log storage
// reports a sticky failure with RAFT_NOSPACE (a full disk) or the FSM cannot apply or
// restore (any storage error; the key-value store is a cache of the log), the node logs
// the cause once, refuses writes with write_refusal(), and restarts raft in-process as a
// restarted process would (close, storage reset_after_failure, raft_init, raft_start: the
// log is reloaded from disk and unapplied entries are replayed), retrying with a backoff
// from 100 ms to 2 s until the storage writes again. Closing raft stops a leader from
// acknowledging anything, so the others elect a new one. The refusal ends once raft has
// stored and applied an entry after a restart. A log write failing with any other error
// (an fsync error: the page cache may have dropped the data) cannot be trusted without
// re-reading the disk: the process exits with EXIT_FAILURE and a clear log line. So does a
// committed entry the FSM cannot apply (RAFT_CORRUPT: a newer leader's format, a damaged
// log), which a restart would only meet again: the line says so, and what to do.
//
// Thread-safety: network thread only; callbacks run there, never inside the call that
// registered them. Lifetime: storage, transport, fsm and io_context outlive it; close()
// must complete (its callback run) before it is destroyed once started.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/reply.h"
#include "util/asio_executor.h"
#include "kernel/consensus/fsm/kv_fsm.h"
#include "kernel/consensus/raft/snapshot_transfer.h"
#include "storage/log_storage.h"
#include "kernel/consensus/raft/observed_executor.h"
#include "kernel/consensus/peer/peer_transport.h"
#include "kernel/consensus/raft/raft_io.h"

namespace keepdb::consensus {

struct RaftMember {
  raft_id id = 0;
  std::string address;  // member_address.h encoding
  int role = RAFT_VOTER;
};

struct RaftNodeOptions {
  raft_id id = 1;
  std::string address;              // this server's raft address (member_address.h)
  bool bootstrap = true;            // form the cluster from `members` (false: join)
  std::vector<RaftMember> members;  // the initial voters, this server included
  unsigned heartbeat_timeout_ms = 100;
  unsigned election_timeout_ms = 1000;
  unsigned install_snapshot_timeout_ms = 3000;
  // The longest catch-up round of a member being promoted (KEEPDB.ADD): a round can hold a
  // streamed install of the whole state, so far above libraft's 5 s default.
  unsigned max_catch_up_round_duration_ms = 300000;
  unsigned snapshot_threshold = 1024;
  unsigned snapshot_trailing = 2048;
  // Compaction by bytes as well (size_compaction()): a snapshot once the entries applied
  // since the last one hold this many bytes, keeping at most half of it behind it.
  std::uint64_t snapshot_threshold_bytes = 16ull << 20;
};

class RaftNode {
 public:
  using Status = int;  // 0 or a RAFT_* code
  using ApplyDone = std::function<void(Status status, const std::vector<commands::Reply>& replies)>;
  using BarrierDone = std::function<void(Status status, raft_index index)>;
  using ChangeDone = std::function<void(Status status)>;

  RaftNode(boost::asio::io_context& io, storage::LogStorage& storage, PeerTransport& transport, KvFsm& fsm,
           RaftNodeOptions options);
  ~RaftNode();
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  // raft_init, settings, bootstrap (when configured and the log is empty), raft_start.
  // Call it before the io_context runs anything else. Throws std::runtime_error with
  // raft's message on failure, having closed raft again.
  void start();
  // raft_close; `closed` runs once every request has completed. Close while a storage
  // failure's close is still under way is not supported (shut down after it, or exit).
  void close(std::function<void()> closed);

  // Runs `observer` after every raft event that changed the role, leader, readiness or
  // applied index.
  void on_change(std::function<void()> observer) { observers_.push_back(std::move(observer)); }

  raft_id id() const { return options_.id; }
  int state() const;  // RAFT_UNAVAILABLE .. RAFT_LEADER
  bool unavailable() const { return started_ && !fault_ && state() == RAFT_UNAVAILABLE; }
  // While storage fails: the MISCONF error line writes get (without the leading '-').
  std::optional<std::string> write_refusal() const;
  // While a failed commit left the store behind entries it applied and answered
  // (KvFsm::lost_applied): the MISCONF error line reads get.
  std::optional<std::string> read_refusal() const;
  bool leader() const { return state() == RAFT_LEADER; }
  bool ready() const { return leader() && ready_; }  // leader whose election barrier applied
  RaftMember leader_member() const;                  // id 0 when unknown
  raft_term term() const { return raft_.current_term; }
  raft_index commit_index() const { return raft_.commit_index; }
  raft_index applied_index() const { return raft_last_applied(const_cast<struct raft*>(&raft_)); }
  raft_index last_index() const { return raft_last_index(const_cast<struct raft*>(&raft_)); }
  // Raft's last error message or, when raft kept none (0.15 does not copy a failed term or
  // vote write's), the raft_io's.
  std::string error_message() const;
  // The current configuration; address "" when `id` is not in it.
  std::vector<RaftMember> members() const;
  std::string address_of(raft_id id) const;
  bool is_member(raft_id id) const;
  // Voters other than this server known to hold every entry up to `index`: on a leader,
  // those whose replicated index has reached it; elsewhere, for a committed `index`, the
  // least a majority guarantees (a majority of the voters, less one for this server).
  unsigned other_voters_holding(raft_index index) const;
  // True when this server is the only voter and leads, or was the only voter when its
  // storage failed (it serves reads while it refuses writes): no other leader can exist.
  bool sole_voter_leader() const;

  // Leader only; RAFT_NOTLEADER etc. come back through the callback, never synchronously.
  void apply(const std::string& batch, ApplyDone done);
  void barrier(BarrierDone done);
  void add(raft_id id, const std::string& address, ChangeDone done);
  void assign(raft_id id, int role, ChangeDone done);
  void remove(raft_id id, ChangeDone done);
  // Transfers leadership to `id` (0: raft picks a voter); `done` runs when it happened or
  // gave up; check leader_member() to see which.
  void transfer(raft_id id, std::function<void()> done);
  // SAVE: a snapshot covering every entry applied when it is called. Leader only: a barrier
  // makes raft apply, and so take the snapshot, at once (raft takes one only right after
  // applying). `done` gets 0 once the snapshot is stored, or RAFT_NOTLEADER when this
  // server is not, or stops being, the leader first.
  void snapshot_now(std::function<void(int status)> done);

 private:
  struct Transfer;
  // After raft_init, when start-up fails: closes raft (running the io_context until it has)
  // and throws std::runtime_error describing `rv`.
  [[noreturn]] void abandon(const char* what, int rv);
  // raft_init, settings and raft_start (plus bootstrap when `bootstrap`); returns the
  // first failure, leaving raft initialized when raft_init succeeded. A log that held no
  // entry and no snapshot when raft started (bootstrap wrote the first, or a joining node
  // found none) goes through refuse_store_ahead().
  int init_and_start(bool bootstrap, const char*& failed_step);
  // Exits when the store has applied entries although the log started empty.
  void refuse_store_ahead();
  // The io's options: snapshots go through the snapshot transfer.
  RaftIoOptions io_options();
  SnapshotTransferOptions transfer_options();
  void poll();
  // libraft 0.15 counts entries only, and reads its snapshot threshold each time it applies
  // and its trailing count each time it stores a snapshot: both are re-derived here from the
  // log's bytes after every event. Over snapshot_threshold_bytes since the last snapshot,
  // the threshold drops to 1 (a snapshot at the next apply); the trailing count is what fits
  // in half of it (at least 1, at most snapshot_trailing).
  void size_compaction();
  // True (and the restart under way) when storage failed; exits on an unrecoverable failure.
  bool handle_storage_failure();
  void restart_after_failure();
  // Logs `reason` and what the operator can do, then exits with EXIT_FAILURE.
  [[noreturn]] static void exit_unrecoverable(
      const std::string& reason,
      std::string_view what_now = "only a restart, which reads and checks the log again, can "
                                  "continue safely");
  bool sole_voter() const;  // this server is the configuration's only voter
  void start_leader_barrier();
  // Completes the SAVE requests the stored snapshot now covers, fails them all when this
  // server no longer leads, and runs another barrier when the snapshot raft skipped (one
  // was being stored already) must still be taken.
  void advance_saves();
  void post(std::function<void()> task);

  boost::asio::io_context& io_;
  storage::LogStorage& storage_;
  RaftNodeOptions options_;
  KvFsm& fsm_;
  util::AsioExecutor asio_executor_;
  ObservedExecutor executor_;
  std::unique_ptr<SnapshotTransfer> snapshot_transfer_;  // streams the state to followers
  std::unique_ptr<RaftIo> raft_io_;
  PeerTransport& transport_;
  struct raft raft_ {};
  bool initialized_ = false;
  bool started_ = false;
  bool closing_ = false;

  std::vector<std::function<void()>> observers_;
  int last_state_ = RAFT_FOLLOWER;
  raft_id last_leader_ = 0;
  raft_index last_applied_ = 0;
  bool last_ready_ = false;
  bool last_fault_ = false;
  bool ready_ = false;
  bool leader_barrier_in_flight_ = false;
  bool unavailable_logged_ = false;
  raft_term leader_term_ = 0;
  // SAVE requests: each done once the stored snapshot reaches its barrier's index (0 until
  // that barrier has applied); the snapshot threshold is 1 while any is pending.
  struct SaveRequest {
    raft_index target = 0;
    std::function<void(int status)> done;
  };
  std::vector<SaveRequest> saves_;
  bool save_barrier_in_flight_ = false;

  // A storage failure under repair: its cause, whether this server was the only voter, and
  // the log index raft must store and apply after a restart to prove the storage writes.
  struct Fault {
    util::IoStatus cause;
    bool sole_voter = false;
    raft_index proof_index = 0;
    unsigned restarts = 0;
  };
  std::optional<Fault> fault_;
  bool restarting_ = false;  // raft closed after a storage failure, its restart pending
  bool shut_down_ = false;   // close() ran while restarting: never restart again
  std::chrono::milliseconds retry_delay_{0};
  boost::asio::steady_timer retry_timer_;
  // raft 0.15 sends TimeoutNow through the transfer request after its callback
  // (a libraft 0.15 bug): transfer requests are freed only with the node.
  std::deque<std::unique_ptr<Transfer>> transfers_;
};

}  // namespace keepdb::consensus
