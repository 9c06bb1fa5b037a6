// TcpPeerTransport over real loopback sockets: raft messages and forward frames both ways,
// then hostile and broken peers: a malformed frame, an oversized frame, a handshake from an
// unknown node id or another cluster, a raft frame claiming another sender, and a stalled
// peer (never answers the handshake / never reads), which must not grow memory.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "kernel/consensus/tcp_peer_transport.h"

namespace keepdb::consensus {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr char kCluster[] = "test-cluster";

TcpPeerOptions options_for(raft_id id, std::set<raft_id> members = {1, 2}) {
  TcpPeerOptions options;
  options.self_id = id;
  options.self_address = "127.0.0.1:" + std::to_string(id);  // only stamped on frames
  options.cluster_id = kCluster;
  options.limits.max_body_bytes = 1 << 20;
  options.max_queued_frames = 4;
  options.max_queued_bytes = 1 << 20;
  options.reconnect_min = 10ms;
  options.reconnect_max = 50ms;
  options.handshake_timeout = 300ms;
  options.write_timeout = 300ms;
  options.is_member = [members](raft_id member) { return members.count(member) > 0; };
  return options;
}

std::string address_of(const tcp::endpoint& endpoint) {
  return "127.0.0.1:" + std::to_string(endpoint.port());
}

// Runs the io_context until `done()` or a 5 s deadline; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(5ms);
  }
  return done();
}

raft_message vote_request(raft_term term) {
  raft_message message;
  std::memset(&message, 0, sizeof message);
  message.type = RAFT_IO_REQUEST_VOTE;
  message.request_vote.term = term;
  message.request_vote.candidate_id = 1;
  return message;
}

// A raw peer on a plain socket, for bytes the real transport would never send.
struct RawPeer {
  explicit RawPeer(asio::io_context& io, const tcp::endpoint& to) : socket(io) {
    socket.connect(to);
  }
  void send(const std::vector<std::uint8_t>& bytes) { asio::write(socket, asio::buffer(bytes)); }
  void handshake(raft_id id, const std::string& cluster = kCluster) {
    std::vector<std::uint8_t> frame;
    REQUIRE(encode_handshake_frame({cluster, id}, frame).ok());
    send(frame);
  }
  // True once the other side has closed this connection (after any handshake reply).
  bool closed_by_peer() {
    socket.non_blocking(true);
    std::array<std::uint8_t, 512> buffer{};
    boost::system::error_code error;
    for (;;) {
      socket.read_some(asio::buffer(buffer), error);
      if (error == asio::error::would_block) return false;
      if (error) return true;
    }
  }
  tcp::socket socket;
};

struct Pair {
  asio::io_context io;
  TcpPeerTransport one{io, options_for(1)};
  TcpPeerTransport two{io, options_for(2)};
  std::string one_address, two_address;
  std::vector<OwnedMessage> received_by_one, received_by_two;

  Pair() {
    one_address = address_of(one.listen("127.0.0.1", 0));
    two_address = address_of(two.listen("127.0.0.1", 0));
    one.set_receiver(
        [this](OwnedMessage message) { received_by_one.push_back(std::move(message)); });
    two.set_receiver(
        [this](OwnedMessage message) { received_by_two.push_back(std::move(message)); });
  }
  tcp::endpoint two_endpoint() const {
    return {asio::ip::make_address("127.0.0.1"),
            static_cast<unsigned short>(std::stoi(two_address.substr(10)))};
  }
  // Sends from one to two and waits for delivery.
  bool one_reaches_two(raft_term term) {
    const std::size_t before = received_by_two.size();
    one.send(2, two_address, vote_request(term), [](IoStatus) {});
    return run_until(io, [&] { return received_by_two.size() > before; });
  }
};

TEST_CASE("tcp transport: raft messages and forward frames travel both ways", "[tcp_transport]") {
  Pair pair;
  int sent_ok = 0;
  pair.one.send(2, pair.two_address + ",127.0.0.1:6379", vote_request(7), [&](IoStatus status) {
    CHECK(status.ok());
    ++sent_ok;
  });
  pair.two.send(1, pair.one_address, vote_request(8), [&](IoStatus status) {
    CHECK(status.ok());
    ++sent_ok;
  });
  REQUIRE(run_until(pair.io, [&] {
    return pair.received_by_one.size() == 1 && pair.received_by_two.size() == 1 && sent_ok == 2;
  }));
  CHECK(pair.received_by_two[0].message().server_id == 1);
  CHECK(pair.received_by_two[0].sender_address() == "127.0.0.1:1");
  CHECK(pair.received_by_two[0].message().request_vote.term == 7);
  CHECK(pair.received_by_one[0].message().request_vote.term == 8);

  std::vector<std::uint8_t> body_seen;
  raft_id from_seen = 0;
  pair.two.set_forward_receiver([&](raft_id from, FrameType type, std::vector<std::uint8_t> body) {
    CHECK(type == FrameType::kForward);
    from_seen = from;
    body_seen = std::move(body);
  });
  const std::vector<std::uint8_t> body{1, 2, 3};
  pair.one.send_forward(2, pair.two_address, FrameType::kForward, body,
                        [](IoStatus status) { CHECK(status.ok()); });
  REQUIRE(run_until(pair.io, [&] { return !body_seen.empty(); }));
  CHECK(from_seen == 1);
  CHECK(body_seen == body);
}

TEST_CASE("tcp transport: a malformed frame closes that connection only", "[tcp_transport]") {
  Pair pair;
  RawPeer raw(pair.io, pair.two_endpoint());
  raw.handshake(1);
  raw.send({0xB1, 0x09, 0, 0, 0, 0, 0, 0, 0, 0});  // unknown frame type
  REQUIRE(run_until(pair.io, [&] { return raw.closed_by_peer(); }));
  CHECK(pair.received_by_two.empty());
  CHECK(pair.one_reaches_two(3));

  RawPeer garbage(pair.io, pair.two_endpoint());
  garbage.handshake(1);
  std::vector<std::uint8_t> frame;
  REQUIRE(encode_message_frame(1, "x", vote_request(1), FrameLimits{}, frame).ok());
  frame.pop_back();  // the body no longer holds every field
  frame[2] = static_cast<std::uint8_t>(frame.size() - kFrameHeaderBytes);
  garbage.send(frame);
  REQUIRE(run_until(pair.io, [&] { return garbage.closed_by_peer(); }));
  CHECK(pair.one_reaches_two(4));
}

TEST_CASE("tcp transport: an oversized frame is refused before it is read", "[tcp_transport]") {
  Pair pair;
  RawPeer raw(pair.io, pair.two_endpoint());
  raw.handshake(1);
  std::vector<std::uint8_t> header{0xB1, RAFT_IO_APPEND_ENTRIES, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::uint64_t huge = (1u << 20) + 1;  // the limit is 1 MiB
  for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<std::uint8_t>(huge >> (8 * i));
  raw.send(header);
  REQUIRE(run_until(pair.io, [&] { return raw.closed_by_peer(); }));
  CHECK(pair.one_reaches_two(5));
}

TEST_CASE("tcp transport: unknown node ids, other clusters and forged senders are dropped",
          "[tcp_transport]") {
  Pair pair;
  RawPeer stranger(pair.io, pair.two_endpoint());
  stranger.handshake(9);
  REQUIRE(run_until(pair.io, [&] { return stranger.closed_by_peer(); }));

  RawPeer other_cluster(pair.io, pair.two_endpoint());
  other_cluster.handshake(1, "another-cluster");
  REQUIRE(run_until(pair.io, [&] { return other_cluster.closed_by_peer(); }));

  RawPeer forger(pair.io, pair.two_endpoint());
  forger.handshake(1);
  std::vector<std::uint8_t> frame;
  REQUIRE(encode_message_frame(9, "127.0.0.1:9", vote_request(1), FrameLimits{}, frame).ok());
  forger.send(frame);
  REQUIRE(run_until(pair.io, [&] { return forger.closed_by_peer(); }));

  CHECK(pair.received_by_two.empty());
  CHECK(pair.one_reaches_two(6));
}

TEST_CASE("tcp transport: a stalled peer fails sends and cannot grow the queue",
          "[tcp_transport]") {
  asio::io_context io;
  TcpPeerTransport one(io, options_for(1));
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::string silent_address = address_of(silent.local_endpoint());

  SECTION("a peer that never answers the handshake") {
    int failed = 0;
    for (int i = 0; i < 10; ++i) {
      one.send(2, silent_address, vote_request(1), [&](IoStatus status) {
        CHECK(status.code == RAFT_NOCONNECTION);
        ++failed;
      });
      CHECK(one.queued_frames(2) <= 4);
    }
    CHECK(failed == 6);  // the oldest ones, pushed out of the 4-frame queue
    REQUIRE(run_until(io, [&] { return failed == 10; }));  // the handshake timed out
    CHECK(one.queued_frames(2) == 0);
  }

  SECTION("a peer that completes the handshake and then stops reading") {
    tcp::socket accepted(io);
    bool connected = false;
    silent.async_accept(accepted,
                        [&](const boost::system::error_code& error) { connected = !error; });
    one.send(2, silent_address, vote_request(1), [](IoStatus) {});
    REQUIRE(run_until(io, [&] { return connected; }));
    std::vector<std::uint8_t> hello(kFrameHeaderBytes + 2 + sizeof(kCluster) - 1 + 8);
    asio::read(accepted, asio::buffer(hello));
    std::vector<std::uint8_t> reply;
    REQUIRE(encode_handshake_frame({kCluster, 2}, reply).ok());
    asio::write(accepted, asio::buffer(reply));

    // 512 KiB AppendEntries frames until the socket buffers fill and writes stall.
    std::vector<std::uint8_t> payload(512 * 1024, 0xAB);
    raft_entry entry{1, RAFT_COMMAND, {payload.data(), payload.size()}, nullptr};
    raft_message big;
    std::memset(&big, 0, sizeof big);
    big.type = RAFT_IO_APPEND_ENTRIES;
    big.append_entries.entries = &entry;
    big.append_entries.n_entries = 1;
    int ok = 0, no_connection = 0, other = 0;
    std::size_t most_queued_bytes = 0;
    for (int i = 0; i < 200; ++i) {
      one.send(2, silent_address, big, [&](IoStatus status) {
        ++(status.ok() ? ok : status.code == RAFT_NOCONNECTION ? no_connection : other);
      });
      most_queued_bytes = std::max(most_queued_bytes, one.queued_bytes(2));
      io.restart();
      io.poll();
    }
    CHECK(most_queued_bytes <= (1u << 20) + payload.size() + 1024);
    CHECK(one.queued_frames(2) <= 4);
    // The write deadline ends the stalled link; everything still queued fails.
    REQUIRE(run_until(io, [&] { return ok + no_connection + other == 200; }));
    CHECK(other == 0);
    CHECK(no_connection > 0);
    CHECK(one.queued_frames(2) == 0);
  }
}

}  // namespace
}  // namespace keepdb::consensus
