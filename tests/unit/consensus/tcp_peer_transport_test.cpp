// TcpPeerTransport over real loopback sockets: raft messages and forward frames both ways,
// then hostile and broken peers: the handshake without the secret, with the wrong secret,
// from an unknown node id, another cluster, this server's own id, or to another server; a
// frame before the handshake; a malformed frame, an oversized frame, a small frame type
// declaring a large body, a header whose body never comes, a term that would overflow, a
// raft frame claiming another sender; too many connections; an acceptor that cannot prove
// the secret; and a stalled peer (never answers the handshake / never reads), which must
// not grow memory.
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

#include "kernel/consensus/peer/peer_auth.h"
#include "kernel/consensus/peer/tcp_peer_transport.h"
#include "tests/support/deadline.h"

namespace keepdb::consensus {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr char kCluster[] = "test-cluster";
constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

std::shared_ptr<const ClusterSecret> secret_of(std::string_view text) {
  return std::make_shared<const ClusterSecret>(
      ClusterSecret::from_bytes({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}));
}

// The configured address of a member: what a received message's sender address must be.
std::string member_address(raft_id id) {
  return "configured-address-of-" + std::to_string(id);
}

TcpPeerOptions options_for(raft_id id, std::set<raft_id> members = {1, 2}) {
  TcpPeerOptions options;
  options.self_id = id;
  options.cluster_id = kCluster;
  options.secret = secret_of(kSecret);
  options.limits.max_body_bytes = 1 << 20;
  options.max_queued_frames = 4;
  options.max_queued_bytes = 1 << 20;
  options.reconnect_min = 10ms;
  options.reconnect_max = 50ms;
  options.handshake_timeout = 300ms;
  options.write_timeout = 300ms;
  options.frame_timeout = 300ms;
  options.max_handshaking_connections = 3;
  options.member_address = [members](raft_id member) {
    return members.count(member) > 0 ? member_address(member) : std::string();
  };
  return options;
}

std::string address_of(const tcp::endpoint& endpoint) {
  return "127.0.0.1:" + std::to_string(endpoint.port());
}

// Runs the io_context until `done()` or a 20 s deadline; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  // Generous: a success returns at once, and a loaded 2-core CI machine under ASan can take
  // seconds for one handshake.
  return test::run_until(io, done, 20s, 5ms);
}

raft_message vote_request(raft_term term) {
  raft_message message;
  std::memset(&message, 0, sizeof message);
  message.type = RAFT_IO_REQUEST_VOTE;
  message.request_vote.term = term;
  message.request_vote.candidate_id = 1;
  return message;
}

// Reads exactly `count` bytes from `socket` while running `io` (whose handlers produce them);
// empty if the connection closes or nothing comes within 5 s.
std::vector<std::uint8_t> read_running(asio::io_context& io, tcp::socket& socket,
                                       std::size_t count) {
  std::vector<std::uint8_t> bytes(count);
  std::size_t have = 0;
  socket.non_blocking(true);
  run_until(io, [&] {
    boost::system::error_code error;
    have += socket.read_some(asio::buffer(bytes.data() + have, count - have), error);
    if (error && error != asio::error::would_block) count = have;  // closed: give up
    return have == count;
  });
  bytes.resize(have == bytes.size() ? have : 0);
  return bytes;
}

// A raw peer on a plain socket, for bytes the real transport would never send. It speaks
// the handshake itself, with whatever identity and secret a test gives it.
struct RawPeer {
  explicit RawPeer(asio::io_context& io, const tcp::endpoint& to) : io(io), socket(io) {
    socket.connect(to);
  }
  void send(const std::vector<std::uint8_t>& bytes) { asio::write(socket, asio::buffer(bytes)); }
  void hello(raft_id id, const std::string& cluster = kCluster, raft_id acceptor = 2) {
    transcript = {.cluster_id = cluster_id = cluster,
                  .dialer = id,
                  .acceptor = acceptor,
                  .dialer_nonce = fresh_nonce(),
                  .acceptor_nonce = {}};
    std::vector<std::uint8_t> frame;
    REQUIRE(encode_hello_frame({cluster, id, acceptor, transcript.dialer_nonce}, frame).ok());
    send(frame);
  }
  // Reads the acceptor's challenge; false if the connection closed instead.
  bool read_challenge(Challenge& challenge) {
    const auto frame = read_running(io, socket, kFrameHeaderBytes + kNonceBytes + kProofBytes);
    if (frame.empty()) return false;
    FrameHeader header;
    REQUIRE(decode_frame_header(frame, FrameLimits{}, header).ok());
    REQUIRE(header.type == FrameType::kChallenge);
    REQUIRE(decode_challenge_body(std::span(frame).subspan(kFrameHeaderBytes), challenge).ok());
    transcript.cluster_id = cluster_id;
    transcript.acceptor_nonce = challenge.nonce;
    return true;
  }
  // The whole handshake as server `id`, proving `secret`.
  void handshake(raft_id id, std::string_view secret = kSecret) {
    hello(id);
    Challenge challenge;
    REQUIRE(read_challenge(challenge));
    CHECK(proof_matches(*secret_of(kSecret), Prover::kAcceptor, transcript, challenge.proof));
    std::vector<std::uint8_t> frame;
    encode_proof_frame(compute_proof(*secret_of(secret), Prover::kDialer, transcript), frame);
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
  asio::io_context& io;
  tcp::socket socket;
  std::string cluster_id;
  HandshakeTranscript transcript;
};

std::vector<std::uint8_t> header_of(FrameType type, std::uint64_t body_bytes) {
  std::vector<std::uint8_t> header{kFrameMagicVersion, static_cast<std::uint8_t>(type)};
  for (int i = 0; i < 8; ++i) header.push_back(static_cast<std::uint8_t>(body_bytes >> (8 * i)));
  return header;
}

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
    one.send(2, two_address, vote_request(term), [](util::IoStatus) {});
    return run_until(io, [&] { return received_by_two.size() > before; });
  }
};

TEST_CASE("tcp transport: raft messages and forward frames travel both ways", "[tcp_transport]") {
  Pair pair;
  int sent_ok = 0;
  pair.one.send(2, pair.two_address + ",127.0.0.1:6379", vote_request(7), [&](util::IoStatus status) {
    CHECK(status.ok());
    ++sent_ok;
  });
  pair.two.send(1, pair.one_address, vote_request(8), [&](util::IoStatus status) {
    CHECK(status.ok());
    ++sent_ok;
  });
  REQUIRE(run_until(pair.io, [&] {
    return pair.received_by_one.size() == 1 && pair.received_by_two.size() == 1 && sent_ok == 2;
  }));
  CHECK(pair.received_by_two[0].message().server_id == 1);
  CHECK(pair.received_by_two[0].sender_address() == member_address(1));
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
                        [](util::IoStatus status) { CHECK(status.ok()); });
  REQUIRE(run_until(pair.io, [&] { return !body_seen.empty(); }));
  CHECK(from_seen == 1);
  CHECK(body_seen == body);
}

TEST_CASE("tcp transport: a malformed frame closes that connection only", "[tcp_transport]") {
  Pair pair;
  RawPeer raw(pair.io, pair.two_endpoint());
  raw.handshake(1);
  raw.send({kFrameMagicVersion, 0x09, 0, 0, 0, 0, 0, 0, 0, 0});  // unknown frame type
  REQUIRE(run_until(pair.io, [&] { return raw.closed_by_peer(); }));
  CHECK(pair.received_by_two.empty());
  CHECK(pair.one_reaches_two(3));

  RawPeer garbage(pair.io, pair.two_endpoint());
  garbage.handshake(1);
  std::vector<std::uint8_t> frame;
  REQUIRE(encode_message_frame(1, vote_request(1), FrameLimits{}, frame).ok());
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
  raw.send(header_of(FrameType::kAppendEntries, (1u << 20) + 1));  // the limit is 1 MiB
  REQUIRE(run_until(pair.io, [&] { return raw.closed_by_peer(); }));

  RawPeer small_type(pair.io, pair.two_endpoint());  // a vote is never 1 KiB
  small_type.handshake(1);
  small_type.send(header_of(FrameType::kRequestVote, 1024));
  REQUIRE(run_until(pair.io, [&] { return small_type.closed_by_peer(); }));

  RawPeer before_auth(pair.io, pair.two_endpoint());  // only handshake sizes before it
  before_auth.send(header_of(FrameType::kHello, 64u << 10));
  REQUIRE(run_until(pair.io, [&] { return before_auth.closed_by_peer(); }));
  CHECK(pair.one_reaches_two(5));
}

TEST_CASE("tcp transport: a frame whose body stops arriving closes at the frame deadline",
          "[tcp_transport]") {
  Pair pair;
  RawPeer raw(pair.io, pair.two_endpoint());
  raw.handshake(1);
  std::vector<std::uint8_t> partial = header_of(FrameType::kAppendEntries, 1u << 20);
  partial.resize(partial.size() + 100, 0);  // 100 of the 1 MiB declared
  raw.send(partial);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(run_until(pair.io, [&] { return raw.closed_by_peer(); }));
  CHECK(std::chrono::steady_clock::now() - start >= 250ms);  // frame_timeout is 300 ms
  CHECK(pair.received_by_two.empty());
  CHECK(pair.one_reaches_two(5));
}

TEST_CASE("tcp transport: a peer that cannot prove the secret gets nothing through",
          "[tcp_transport]") {
  Pair pair;
  std::vector<std::uint8_t> forward;
  pair.two.set_forward_receiver(
      [&](raft_id, FrameType, std::vector<std::uint8_t> body) { forward = std::move(body); });
  std::vector<std::uint8_t> vote;
  REQUIRE(encode_message_frame(1, vote_request(1), FrameLimits{}, vote).ok());
  std::vector<std::uint8_t> forged_forward;
  REQUIRE(encode_forward_frame(FrameType::kForward, std::vector<std::uint8_t>{1, 2, 3},
                               FrameLimits{}, forged_forward)
              .ok());

  SECTION("frames without any handshake") {
    RawPeer raw(pair.io, pair.two_endpoint());
    raw.send(forged_forward);
    REQUIRE(run_until(pair.io, [&] { return raw.closed_by_peer(); }));
  }
  SECTION("the wrong secret, frames sent right behind the proof") {
    RawPeer raw(pair.io, pair.two_endpoint());
    raw.handshake(1, "a different secret of 32 bytes!!");
    raw.send(vote);
    raw.send(forged_forward);
    REQUIRE(run_until(pair.io, [&] { return raw.closed_by_peer(); }));
  }
  SECTION("a hello, then frames instead of a proof") {
    RawPeer raw(pair.io, pair.two_endpoint());
    raw.hello(1);
    Challenge challenge;
    REQUIRE(raw.read_challenge(challenge));
    raw.send(vote);
    REQUIRE(run_until(pair.io, [&] { return raw.closed_by_peer(); }));
  }
  SECTION("a hello and no proof: closed at the handshake deadline") {
    RawPeer raw(pair.io, pair.two_endpoint());
    raw.hello(1);
    REQUIRE(run_until(pair.io, [&] { return raw.closed_by_peer(); }));
  }
  CHECK(pair.received_by_two.empty());
  CHECK(forward.empty());
  CHECK(pair.one_reaches_two(6));
}

TEST_CASE(
    "tcp transport: unknown node ids, other clusters, own ids and forged senders are "
    "dropped",
    "[tcp_transport]") {
  Pair pair;
  RawPeer stranger(pair.io, pair.two_endpoint());
  stranger.hello(9);
  REQUIRE(run_until(pair.io, [&] { return stranger.closed_by_peer(); }));

  RawPeer other_cluster(pair.io, pair.two_endpoint());
  other_cluster.hello(1, "another-cluster");
  REQUIRE(run_until(pair.io, [&] { return other_cluster.closed_by_peer(); }));

  RawPeer own_id(pair.io, pair.two_endpoint());  // server 2 calling itself
  own_id.hello(2);
  REQUIRE(run_until(pair.io, [&] { return own_id.closed_by_peer(); }));

  RawPeer wrong_acceptor(pair.io, pair.two_endpoint());  // meant for server 5
  wrong_acceptor.hello(1, kCluster, 5);
  REQUIRE(run_until(pair.io, [&] { return wrong_acceptor.closed_by_peer(); }));

  RawPeer forger(pair.io, pair.two_endpoint());
  forger.handshake(1);
  std::vector<std::uint8_t> frame;
  REQUIRE(encode_message_frame(9, vote_request(1), FrameLimits{}, frame).ok());
  forger.send(frame);
  REQUIRE(run_until(pair.io, [&] { return forger.closed_by_peer(); }));

  CHECK(pair.received_by_two.empty());
  CHECK(pair.one_reaches_two(6));
}

TEST_CASE("tcp transport: a term that would overflow is refused", "[tcp_transport]") {
  Pair pair;
  RawPeer raw(pair.io, pair.two_endpoint());
  raw.handshake(1);
  std::vector<std::uint8_t> frame;
  REQUIRE(encode_message_frame(1, vote_request(~raft_term{0}), FrameLimits{}, frame).ok());
  raw.send(frame);
  REQUIRE(run_until(pair.io, [&] { return raw.closed_by_peer(); }));
  CHECK(pair.received_by_two.empty());
  CHECK(pair.one_reaches_two(kMaxTerm));  // the largest term still gets through
}

TEST_CASE("tcp transport: connections beyond the handshake cap are closed at accept",
          "[tcp_transport]") {
  Pair pair;
  std::vector<std::unique_ptr<RawPeer>> idle;
  for (int i = 0; i < 3; ++i)
    idle.push_back(std::make_unique<RawPeer>(pair.io, pair.two_endpoint()));
  pair.io.restart();
  pair.io.poll();
  RawPeer extra(pair.io, pair.two_endpoint());
  REQUIRE(run_until(pair.io, [&] { return extra.closed_by_peer(); }));
  idle.clear();
  // The real peer gets in once the idle ones are gone (resending while it is refused).
  std::function<void(util::IoStatus)> resend_on_failure = [&](util::IoStatus status) {
    if (!status.ok()) pair.one.send(2, pair.two_address, vote_request(7), resend_on_failure);
  };
  pair.one.send(2, pair.two_address, vote_request(7), resend_on_failure);
  REQUIRE(run_until(pair.io, [&] { return !pair.received_by_two.empty(); }));
}

TEST_CASE("tcp transport: the dialer sends nothing to an acceptor that cannot prove the secret",
          "[tcp_transport]") {
  asio::io_context io;
  TcpPeerTransport one(io, options_for(1));
  tcp::acceptor impostor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket accepted(io);
  bool connected = false;
  impostor.async_accept(accepted,
                        [&](const boost::system::error_code& error) { connected = !error; });
  int failed = 0;
  one.send(2, address_of(impostor.local_endpoint()), vote_request(1), [&](util::IoStatus status) {
    if (status.code == RAFT_NOCONNECTION) ++failed;
  });
  REQUIRE(run_until(io, [&] { return connected; }));
  REQUIRE(
      read_running(io, accepted, kFrameHeaderBytes + 2 + sizeof(kCluster) - 1 + 16 + kNonceBytes)
          .size() > 0);  // the hello
  std::vector<std::uint8_t> challenge;
  encode_challenge_frame({fresh_nonce(), Proof{}}, challenge);  // a proof without the secret
  asio::write(accepted, asio::buffer(challenge));
  REQUIRE(run_until(io, [&] { return failed == 1; }));
  std::array<std::uint8_t, 64> rest{};
  boost::system::error_code error;
  const std::size_t more = accepted.read_some(asio::buffer(rest), error);
  CHECK(more == 0);  // no proof, no vote: the link closed without writing anything else
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
      one.send(2, silent_address, vote_request(1), [&](util::IoStatus status) {
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
    one.send(2, silent_address, vote_request(1), [](util::IoStatus) {});
    REQUIRE(run_until(io, [&] { return connected; }));
    const auto hello_frame =
        read_running(io, accepted, kFrameHeaderBytes + 2 + sizeof(kCluster) - 1 + 16 + kNonceBytes);
    Hello hello;
    REQUIRE(decode_hello_frame(hello_frame, hello).ok());
    HandshakeTranscript transcript{kCluster, 1, 2, hello.nonce, fresh_nonce()};
    std::vector<std::uint8_t> reply;
    encode_challenge_frame({transcript.acceptor_nonce,
                            compute_proof(*secret_of(kSecret), Prover::kAcceptor, transcript)},
                           reply);
    accepted.non_blocking(false);
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
      one.send(2, silent_address, big, [&](util::IoStatus status) {
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
