// SnapshotTransfer between a leader and a follower over a link the test drives by hand:
// the state arrives whole and checked, the window bounds what is unacknowledged, a damaged,
// gapped or unknown stream is refused and the next InstallSnapshot starts it over, and the
// InstallSnapshot reaches the follower only once it holds the state durably.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "kernel/consensus/fsm/kv_fsm.h"
#include "kernel/consensus/fsm/kv_snapshot.h"
#include "kernel/consensus/peer/snapshot_frames.h"
#include "kernel/consensus/raft/snapshot_transfer.h"
#include "storage/kv_store.h"
#include "tests/support/deadline.h"
#include "tests/support/temp_dir.h"
#include "util/asio_executor.h"

namespace keepdb::consensus::testing {
namespace {

constexpr raft_id kLeader = 1;
constexpr raft_id kFollower = 2;
constexpr std::size_t kWindow = 4;

struct SentFrame {
  raft_id to = 0;
  FrameType type = FrameType::kSnapshotChunk;
  std::vector<std::uint8_t> body;
};

// A PeerTransport that keeps what is sent, for the test to deliver, drop or damage.
struct HeldLink final : PeerTransport {
  std::deque<SentFrame> frames;       // snapshot frames, in send order
  std::vector<raft_index> installs;   // the index of each InstallSnapshot sent
  ForwardReceiver snapshot_receiver;  // what the transfer installed

  void send(raft_id, const std::string&, const raft_message& message, SendDone done) override {
    installs.push_back(message.install_snapshot.last_index);
    done(util::IoStatus::success());
  }
  void set_receiver(Receiver) override {}
  void send_forward(raft_id to, const std::string&, FrameType type,
                    std::span<const std::uint8_t> body, SendDone done) override {
    frames.push_back({to, type, {body.begin(), body.end()}});
    done(util::IoStatus::success());
  }
  void set_forward_receiver(ForwardReceiver) override {}
  void set_snapshot_receiver(ForwardReceiver receiver) override {
    snapshot_receiver = std::move(receiver);
  }
};

struct Node {
  Node(boost::asio::io_context& io, std::uint64_t applied, int keys) : executor(io) {
    storage::WriteTxn txn(env);
    for (int i = 0; i < keys; ++i) {
      kv.put(txn.get(), 0, "key" + std::to_string(i), std::string(100 + i % 50, 'v'),
             i % 10 == 0 ? 9000 + i : 0);
    }
    kv.set_applied_index(txn.get(), applied);
    kv.set_clock_ms(txn.get(), 4242);
    txn.commit();
    fsm.emplace(env, kv, 1 << 20);
    SnapshotTransferOptions options;
    options.chunk_bytes = 4096;
    options.window = kWindow;
    options.address_of = [](raft_id id) { return "server-" + std::to_string(id); };
    transfer.emplace(executor, link, *fsm, options);
  }

  test::TempDir dir;
  storage::Env env{dir.path(), {.map_size_bytes = 64 << 20, .max_dbs = 4}};
  storage::KvStore kv{env};
  util::AsioExecutor executor;
  HeldLink link;
  std::optional<KvFsm> fsm;
  std::optional<SnapshotTransfer> transfer;
};

// An InstallSnapshot for `index` as raft sends it (its data a descriptor).
struct InstallMessage {
  explicit InstallMessage(raft_index index) : descriptor(encode_kv_descriptor(index, 4242)) {
    raft_configuration_init(&configuration);
    raft_configuration_add(&configuration, kLeader, "server-1", RAFT_VOTER);
    message.type = RAFT_IO_INSTALL_SNAPSHOT;
    message.server_id = kFollower;
    message.install_snapshot.term = 1;
    message.install_snapshot.last_index = index;
    message.install_snapshot.last_term = 1;
    message.install_snapshot.conf_index = 1;
    message.install_snapshot.conf = configuration;
    message.install_snapshot.data = raft_buffer{descriptor.data(), descriptor.size()};
  }
  ~InstallMessage() { raft_configuration_close(&configuration); }
  std::vector<std::uint8_t> descriptor;
  raft_configuration configuration{};
  raft_message message{};
};

// Runs the io_context (worker completions arrive on it) until `done` holds, for up to 20 s.
template <typename Done>
bool run_until(boost::asio::io_context& io, Done done) {
  return test::run_until(io, done, std::chrono::seconds(20), std::chrono::milliseconds(2));
}

// Delivers every frame `from` has sent to `to`'s transfer, in order; `edit` may change or
// drop (return false) each.
template <typename Edit>
void deliver(Node& from, raft_id from_id, Node& to, Edit edit) {
  while (!from.link.frames.empty()) {
    SentFrame frame = std::move(from.link.frames.front());
    from.link.frames.pop_front();
    if (edit(frame)) to.link.snapshot_receiver(from_id, frame.type, std::move(frame.body));
  }
}

bool keep(SentFrame&) { return true; }

// Shuttles frames both ways until the leader sends its InstallSnapshot or the transfer ends.
// Returns the largest number of chunks the leader had sent and not yet seen acknowledged.
template <typename Edit>
std::size_t shuttle(boost::asio::io_context& io, Node& leader, Node& follower, Edit edit) {
  std::size_t most_unacked = 0;
  std::size_t unacked = 0;
  run_until(io, [&] {
    unacked += leader.link.frames.size();
    most_unacked = std::max(most_unacked, unacked);
    deliver(leader, kLeader, follower, edit);
    unacked -= std::min(unacked, follower.link.frames.size());
    deliver(follower, kFollower, leader, keep);
    return !leader.link.installs.empty() || leader.transfer->outgoing() == 0;
  });
  return most_unacked;
}

std::uint64_t keys_in(Node& node) {
  storage::ReadTxn txn(node.env);
  txn.begin();
  return node.kv.size(txn.get(), 0);
}

TEST_CASE("snapshot transfer: the state streams in a bounded window, then the InstallSnapshot",
          "[snapshot_transfer]") {
  boost::asio::io_context io;
  Node leader(io, 50, 3000);
  Node follower(io, 3, 10);
  InstallMessage install(40);
  leader.transfer->send_install(kFollower, "server-2", install.message);
  REQUIRE(run_until(io, [&] { return leader.link.frames.size() == kWindow; }));
  io.restart();
  io.poll();
  CHECK(leader.link.frames.size() == kWindow);  // nothing more until the follower acknowledges
  CHECK_FALSE(follower.transfer->ready_to_install(install.message.install_snapshot));

  raft_install_snapshot raft_retry = install.message.install_snapshot;
  leader.transfer->send_install(kFollower, "server-2", install.message);  // raft's resend
  CHECK(leader.transfer->outgoing() == 1);  // joins the transfer under way

  CHECK(shuttle(io, leader, follower, keep) <= kWindow);
  REQUIRE(leader.link.installs == std::vector<raft_index>{40});
  CHECK(leader.transfer->outgoing() == 0);
  CHECK(follower.transfer->ready_to_install(raft_retry));
  CHECK_FALSE(std::filesystem::exists(follower.fsm->install_path().string() + ".tmp"));

  // raft installs the descriptor: the follower switches to the streamed state.
  raft_buffer buffer{raft_malloc(install.descriptor.size()), install.descriptor.size()};
  std::memcpy(buffer.base, install.descriptor.data(), install.descriptor.size());
  REQUIRE(follower.fsm->get()->restore(follower.fsm->get(), &buffer) == 0);
  CHECK(follower.fsm->applied_index() == 50u);
  CHECK(keys_in(follower) == 3000u);
  storage::ReadTxn txn(follower.env);
  txn.begin();
  CHECK(follower.kv.get(txn.get(), 0, "key10")->expires_at_ms == 9010u);
  CHECK(follower.kv.clock_ms(txn.get()) == 4242u);
}

TEST_CASE("snapshot transfer: a damaged or gapped stream is refused; the retry starts over",
          "[snapshot_transfer]") {
  boost::asio::io_context io;
  Node leader(io, 50, 2000);
  Node follower(io, 3, 10);
  InstallMessage install(40);
  const auto tmp = follower.fsm->install_path().string() + ".tmp";

  SECTION("a flipped byte fails the checksum") {
    int seen = 0;
    leader.transfer->send_install(kFollower, "server-2", install.message);
    shuttle(io, leader, follower, [&](SentFrame& frame) {
      if (++seen == 3) frame.body.back() ^= 0x01;
      return true;
    });
  }
  SECTION("a lost chunk (a broken connection) leaves a gap") {
    int seen = 0;
    leader.transfer->send_install(kFollower, "server-2", install.message);
    shuttle(io, leader, follower, [&](SentFrame&) { return ++seen != 5; });
  }
  SECTION("a truncated chunk frame is dropped, leaving a gap") {
    int seen = 0;
    leader.transfer->send_install(kFollower, "server-2", install.message);
    shuttle(io, leader, follower, [&](SentFrame& frame) {
      if (++seen == 2) frame.body.resize(10);
      return true;
    });
  }
  CHECK(leader.link.installs.empty());
  CHECK(leader.transfer->outgoing() == 0);
  CHECK_FALSE(follower.transfer->ready_to_install(install.message.install_snapshot));
  CHECK_FALSE(std::filesystem::exists(follower.fsm->install_path()));

  // raft resends the InstallSnapshot: a new transfer from byte 0 completes.
  leader.transfer->send_install(kFollower, "server-2", install.message);
  shuttle(io, leader, follower, keep);
  CHECK(leader.link.installs == std::vector<raft_index>{40});
  CHECK(follower.transfer->ready_to_install(install.message.install_snapshot));
  CHECK_FALSE(std::filesystem::exists(tmp));
}

TEST_CASE("snapshot transfer: the follower refuses chunks that do not continue its stream",
          "[snapshot_transfer]") {
  boost::asio::io_context io;
  Node follower(io, 3, 10);
  std::vector<std::uint8_t> data(100, 7), body;
  auto send = [&](std::uint64_t transfer, std::uint64_t offset) {
    encode_snapshot_chunk({.transfer = transfer, .offset = offset, .data = data}, body);
    follower.link.snapshot_receiver(kLeader, FrameType::kSnapshotChunk, body);
  };
  auto last_ack = [&] {
    SnapshotAck ack;
    REQUIRE(!follower.link.frames.empty());
    REQUIRE(decode_snapshot_ack(follower.link.frames.back().body, ack).ok());
    return ack;
  };
  send(9, 100);  // an unknown transfer must start at byte 0
  CHECK(last_ack().status == SnapshotAckStatus::kRestart);
  send(10, 0);
  REQUIRE(run_until(io, [&] { return last_ack().transfer == 10; }));
  CHECK(last_ack().status == SnapshotAckStatus::kProgress);
  CHECK(last_ack().offset == 100u);
  send(10, 300);  // a gap
  CHECK(last_ack().status == SnapshotAckStatus::kRestart);
  send(10, 100);  // the transfer was dropped: it cannot continue
  CHECK(last_ack().status == SnapshotAckStatus::kRestart);
  follower.link.snapshot_receiver(kLeader, FrameType::kSnapshotAck, {1, 2, 3});  // malformed
  CHECK(last_ack().status == SnapshotAckStatus::kRestart);
}

TEST_CASE("snapshot transfer: a leftover temp file of a killed install is removed",
          "[snapshot_transfer]") {
  boost::asio::io_context io;
  test::TempDir dir;
  const std::filesystem::path kv_dir = dir.path();
  {
    storage::Env env(kv_dir, {.map_size_bytes = 16 << 20, .max_dbs = 4});
    storage::KvStore kv(env);
    KvFsm fsm(env, kv, 1 << 20);
    const auto tmp = fsm.install_path().string() + ".tmp";
    { std::ofstream(tmp) << "half an image"; }
    util::AsioExecutor executor(io);
    HeldLink link;
    SnapshotTransfer transfer(executor, link, fsm, {});
    CHECK_FALSE(std::filesystem::exists(tmp));
  }
}

}  // namespace
}  // namespace keepdb::consensus::testing
