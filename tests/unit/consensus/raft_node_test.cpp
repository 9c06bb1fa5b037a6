// RaftNode over real parts (LMDB raft log stores, TCP peer transports on loopback, KV FSMs)
// with three servers in one process on one io_context: a follower whose storage starts
// failing term and vote writes turns RAFT_UNAVAILABLE at the next election (as libraft 0.15
// does), RaftNode reports it, the write path on that server refuses every write
// with the unavailable error, and the other two keep serving.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "kernel/consensus/write/forwarder.h"
#include "kernel/consensus/fsm/kv_fsm.h"
#include "kernel/consensus/peer/member_address.h"
#include "kernel/consensus/raft/raft_node.h"
#include "kernel/consensus/write/raft_node_replica.h"
#include "kernel/consensus/write/raft_sink.h"
#include "kernel/consensus/peer/tcp_peer_transport.h"
#include "storage/kv_store.h"
#include "storage/raft_log_store.h"
#include "tests/support/deadline.h"
#include "tests/support/temp_dir.h"
#include "util/asio_executor.h"

namespace keepdb::consensus::testing {
namespace {

using namespace std::chrono_literals;

// A LogStorage that forwards to a real store until told to fail term and vote writes (as a
// disk error would), which libraft treats as fatal.
class TermFailingStorage final : public storage::LogStorage {
 public:
  explicit TermFailingStorage(storage::LogStorage& store) : store_(store) {}
  void fail_term_and_vote_writes() { failing_ = true; }

  util::IoStatus load(storage::LoadedLog& out) override { return store_.load(out); }
  util::IoStatus bootstrap(const raft_entry& first_entry) override {
    return store_.bootstrap(first_entry);
  }
  util::IoStatus recover(const raft_buffer& configuration) override {
    return store_.recover(configuration);
  }
  util::IoStatus set_term(raft_term term) override {
    return failing_ ? injected() : store_.set_term(term);
  }
  util::IoStatus set_vote(raft_id server_id) override {
    return failing_ ? injected() : store_.set_vote(server_id);
  }
  void append(std::span<const raft_entry> entries, Done done) override {
    store_.append(entries, std::move(done));
  }
  void truncate(raft_index index) override { store_.truncate(index); }
  void snapshot_put(unsigned trailing, const raft_snapshot& snapshot, Done done) override {
    store_.snapshot_put(trailing, snapshot, std::move(done));
  }
  void snapshot_get(SnapshotDone done) override { store_.snapshot_get(std::move(done)); }
  void drain(std::function<void()> done) override { store_.drain(std::move(done)); }

 private:
  static util::IoStatus injected() { return util::IoStatus::failure(RAFT_IOERR, "injected disk error"); }
  storage::LogStorage& store_;
  bool failing_ = false;
};

// Loopback ports free right now (bound to port 0, then released).
std::vector<std::uint16_t> free_ports(boost::asio::io_context& io, std::size_t count) {
  std::vector<boost::asio::ip::tcp::acceptor> held;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < count; ++i) {
    held.emplace_back(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    ports.push_back(held.back().local_endpoint().port());
  }
  return ports;
}

// One server: its KV store and FSM, its raft log behind the fault switch, and its
// transport listening on `peer_port`.
struct Server {
  Server(boost::asio::io_context& io, raft_id id, const std::vector<std::uint16_t>& peer_ports)
      : address(address_of(peer_ports[id - 1])),
        kv_env(made(dir.path() / "kv"), {.map_size_bytes = 16u << 20, .max_dbs = 4}),
        kv(kv_env),
        fsm(kv_env, kv, 1u << 20),
        transport(io, transport_options(id, peer_ports)) {
    storage::RaftLogStoreOptions log_options;
    log_options.directory = dir.path() / "raft";
    REQUIRE(storage::RaftLogStore::open(log_options, log).ok());
    storage_.emplace(*log);
    transport.listen("127.0.0.1", peer_ports[id - 1]);
  }

  static std::string address_of(std::uint16_t peer_port) {
    return encode_member_address({"127.0.0.1:" + std::to_string(peer_port), "127.0.0.1:1"});
  }

  static std::filesystem::path made(const std::filesystem::path& path) {
    std::filesystem::create_directories(path);
    return path;
  }

  static TcpPeerOptions transport_options(raft_id id, const std::vector<std::uint16_t>& peer_ports) {
    TcpPeerOptions options;
    options.self_id = id;
    options.cluster_id = "raft-node-test";
    options.member_address = [peer_ports](raft_id member) {
      return member >= 1 && member <= peer_ports.size() ? address_of(peer_ports[member - 1])
                                                        : std::string();
    };
    return options;
  }

  std::string address;
  test::TempDir dir;
  storage::Env kv_env;
  storage::KvStore kv;
  KvFsm fsm;
  std::unique_ptr<storage::RaftLogStore> log;
  std::optional<TermFailingStorage> storage_;
  TcpPeerTransport transport;
  std::unique_ptr<RaftNode> raft;
};

// Runs the io_context until `done()` or a 20 s deadline; returns done().
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  return test::run_until(io, done, 20s);
}

TEST_CASE("a server whose term write fails turns UNAVAILABLE and refuses writes", "[raft_node]") {
  boost::asio::io_context io;
  std::vector<std::unique_ptr<Server>> servers;
  const auto ports = free_ports(io, 3);
  std::vector<RaftMember> members;
  for (raft_id id = 1; id <= 3; ++id) {
    servers.push_back(std::make_unique<Server>(io, id, ports));
    members.push_back({id, servers.back()->address, RAFT_VOTER});
  }
  for (raft_id id = 1; id <= 3; ++id) {
    Server& server = *servers[id - 1];
    RaftNodeOptions options;
    options.id = id;
    options.address = server.address;
    options.members = members;
    server.raft =
        std::make_unique<RaftNode>(io, *server.storage_, server.transport, server.fsm, options);
    server.raft->start();
  }
  const auto leader = [&]() -> Server* {
    for (auto& server : servers) {
      if (server->raft->ready()) return server.get();
    }
    return nullptr;
  };
  REQUIRE(run_until(io, [&] { return leader() != nullptr; }));
  Server* old_leader = leader();
  std::vector<Server*> followers;
  for (auto& server : servers) {
    if (server.get() != old_leader) followers.push_back(server.get());
  }
  Server& victim = *followers[0];
  Server& successor = *followers[1];

  // The successor's election (a transfer skips pre-vote) reaches the victim with a higher
  // term, which the victim cannot persist.
  victim.storage_->fail_term_and_vote_writes();
  old_leader->raft->transfer(successor.raft->id(), [] {});
  REQUIRE(run_until(io, [&] { return victim.raft->unavailable(); }));
  CHECK(victim.raft->error_message().find("injected disk error") != std::string::npos);

  util::AsioExecutor executor(io);
  RaftNodeReplica replica(*victim.raft);
  Forwarder forwarder(executor, victim.transport, replica, 1s);
  RaftSink sink(executor, replica, forwarder);
  commands::OpBatchBuilder batch;
  const std::vector<std::string_view> set = {"SET", "k", "v"};
  batch.add(set);
  batch.add(set);
  std::vector<commands::Reply> replies;
  sink.commit(batch.take(1), {{"default", commands::kAllRoles}},
              [&](std::vector<commands::Reply> result) { replies = result; });
  REQUIRE(run_until(io, [&] { return !replies.empty(); }));
  REQUIRE(replies.size() == 2);
  for (const commands::Reply& reply : replies) {
    CHECK(reply.kind == commands::Reply::Kind::kError);
    CHECK(reply.text == kUnavailableError);
  }

  // The other two still form a majority and elect a leader.
  CHECK(run_until(io, [&] { return successor.raft->ready() || old_leader->raft->ready(); }));

  int open = 3;
  for (auto& server : servers) server->raft->close([&open] { --open; });
  REQUIRE(run_until(io, [&] { return open == 0; }));
  for (auto& server : servers) server->transport.close();
  io.restart();
  io.poll();
}

}  // namespace
}  // namespace keepdb::consensus::testing
