// Peer frame codec: round trip of every message type and the handshake frames, the frozen
// wire format (tests/testdata/consensus/frames.txt), per-type size limits, terms that would
// overflow, strict rejection of truncated, oversized and garbage frames, and the snapshot
// chunk and ack bodies.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/consensus/peer/peer_codec.h"
#include "kernel/consensus/peer/snapshot_frames.h"

namespace keepdb::consensus {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr raft_id kSender = 7;

// Sample messages of every type; payload memory is owned by the fixture.
struct Samples {
  std::string command = "set k v";
  std::string change = std::string("\x01\x00\x00", 3);
  std::string snapshot_data = "snapshot bytes";
  raft_entry entries[3] = {};
  raft_configuration configuration{};
  std::vector<raft_message> messages;

  Samples() {
    entries[0] = raft_entry{3, RAFT_COMMAND, {command.data(), command.size()}, nullptr};
    entries[1] = raft_entry{3, RAFT_BARRIER, {nullptr, 0}, nullptr};
    entries[2] = raft_entry{4, RAFT_CHANGE, {change.data(), change.size()}, nullptr};
    raft_configuration_init(&configuration);
    raft_configuration_add(&configuration, 1, "a:1", RAFT_VOTER);
    raft_configuration_add(&configuration, 2, "b:2", RAFT_STANDBY);
    raft_configuration_add(&configuration, 3, "c:3", RAFT_SPARE);

    raft_message message{};
    message.type = RAFT_IO_APPEND_ENTRIES;
    message.append_entries = {5, 10, 4, 9, entries, 3};
    messages.push_back(message);
    message.append_entries = {5, 10, 4, 9, nullptr, 0};  // heartbeat
    messages.push_back(message);
    message = {};
    message.type = RAFT_IO_APPEND_ENTRIES_RESULT;
    message.append_entries_result = {5, 11, 13};
    messages.push_back(message);
    message = {};
    message.type = RAFT_IO_REQUEST_VOTE;
    message.request_vote = {6, 2, 20, 5, true, true};
    messages.push_back(message);
    message = {};
    message.type = RAFT_IO_REQUEST_VOTE_RESULT;
    message.request_vote_result = {6, true, raft_tribool_false};
    messages.push_back(message);
    message = {};
    message.type = RAFT_IO_INSTALL_SNAPSHOT;
    message.install_snapshot.term = 7;
    message.install_snapshot.last_index = 100;
    message.install_snapshot.last_term = 6;
    message.install_snapshot.conf = configuration;
    message.install_snapshot.conf_index = 90;
    message.install_snapshot.data = {snapshot_data.data(), snapshot_data.size()};
    messages.push_back(message);
    message = {};
    message.type = RAFT_IO_TIMEOUT_NOW;
    message.timeout_now = {8, 30, 7};
    messages.push_back(message);
  }
  ~Samples() { raft_configuration_close(&configuration); }
};

Bytes encode(const raft_message& message) {
  Bytes frame;
  REQUIRE(encode_message_frame(kSender, message, FrameLimits{}, frame).ok());
  return frame;
}

std::string payload_text(const raft_buffer& buffer) {
  return std::string(static_cast<const char*>(buffer.base), buffer.len);
}

void check_equal(const raft_message& sent, const OwnedMessage& received) {
  const raft_message& got = received.message();
  REQUIRE(got.type == sent.type);
  CHECK(got.server_id == kSender);
  CHECK(received.sender_address().empty());  // the receiver fills it from its configuration
  switch (sent.type) {
    case RAFT_IO_APPEND_ENTRIES: {
      const raft_append_entries& a = sent.append_entries;
      const raft_append_entries& b = got.append_entries;
      CHECK(b.term == a.term);
      CHECK(b.prev_log_index == a.prev_log_index);
      CHECK(b.prev_log_term == a.prev_log_term);
      CHECK(b.leader_commit == a.leader_commit);
      REQUIRE(b.n_entries == a.n_entries);
      CHECK((b.entries == nullptr) == (a.n_entries == 0));
      for (unsigned i = 0; i < a.n_entries; ++i) {
        CHECK(b.entries[i].term == a.entries[i].term);
        CHECK(b.entries[i].type == a.entries[i].type);
        CHECK(payload_text(b.entries[i].buf) == payload_text(a.entries[i].buf));
        CHECK(b.entries[i].batch == b.entries[0].batch);  // one block per message
        CHECK(b.entries[i].batch != nullptr);
      }
      break;
    }
    case RAFT_IO_APPEND_ENTRIES_RESULT:
      CHECK(got.append_entries_result.term == sent.append_entries_result.term);
      CHECK(got.append_entries_result.rejected == sent.append_entries_result.rejected);
      CHECK(got.append_entries_result.last_log_index == sent.append_entries_result.last_log_index);
      break;
    case RAFT_IO_REQUEST_VOTE:
      CHECK(got.request_vote.term == sent.request_vote.term);
      CHECK(got.request_vote.candidate_id == sent.request_vote.candidate_id);
      CHECK(got.request_vote.last_log_index == sent.request_vote.last_log_index);
      CHECK(got.request_vote.last_log_term == sent.request_vote.last_log_term);
      CHECK(got.request_vote.disrupt_leader == sent.request_vote.disrupt_leader);
      CHECK(got.request_vote.pre_vote == sent.request_vote.pre_vote);
      break;
    case RAFT_IO_REQUEST_VOTE_RESULT:
      CHECK(got.request_vote_result.term == sent.request_vote_result.term);
      CHECK(got.request_vote_result.vote_granted == sent.request_vote_result.vote_granted);
      CHECK(got.request_vote_result.pre_vote == sent.request_vote_result.pre_vote);
      break;
    case RAFT_IO_INSTALL_SNAPSHOT: {
      const raft_install_snapshot& a = sent.install_snapshot;
      const raft_install_snapshot& b = got.install_snapshot;
      CHECK(b.term == a.term);
      CHECK(b.last_index == a.last_index);
      CHECK(b.last_term == a.last_term);
      CHECK(b.conf_index == a.conf_index);
      CHECK(payload_text(b.data) == payload_text(a.data));
      REQUIRE(b.conf.n == a.conf.n);
      for (unsigned i = 0; i < a.conf.n; ++i) {
        CHECK(b.conf.servers[i].id == a.conf.servers[i].id);
        CHECK(std::string(b.conf.servers[i].address) == a.conf.servers[i].address);
        CHECK(b.conf.servers[i].role == a.conf.servers[i].role);
      }
      break;
    }
    case RAFT_IO_TIMEOUT_NOW:
      CHECK(got.timeout_now.term == sent.timeout_now.term);
      CHECK(got.timeout_now.last_log_index == sent.timeout_now.last_log_index);
      CHECK(got.timeout_now.last_log_term == sent.timeout_now.last_log_term);
      break;
  }
}

util::IoStatus decode(const Bytes& frame, const FrameLimits& limits = FrameLimits{}) {
  OwnedMessage message;
  return decode_message_frame(frame, limits, message);
}

std::string to_hex(const Bytes& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (std::uint8_t byte : bytes) {
    hex += digits[byte >> 4];
    hex += digits[byte & 15];
  }
  return hex;
}

void set_body_length(Bytes& frame, std::uint64_t length) {
  for (int i = 0; i < 8; ++i) frame[2 + i] = static_cast<std::uint8_t>(length >> (8 * i));
}

}  // namespace

TEST_CASE("every raft message type survives an encode/decode round trip", "[peer_codec]") {
  Samples samples;
  for (const raft_message& message : samples.messages) {
    Bytes frame = encode(message);
    OwnedMessage received;
    util::IoStatus status = decode_message_frame(frame, FrameLimits{}, received);
    INFO("type " << message.type << ": " << status.message);
    REQUIRE(status.ok());
    check_equal(message, received);
  }
}

TEST_CASE("a decoded message hands its payload and sender address to raft", "[peer_codec]") {
  Samples samples;
  OwnedMessage received;
  REQUIRE(decode_message_frame(encode(samples.messages[0]), FrameLimits{}, received).ok());
  received.sender_address() = "10.0.0.7:7001";
  raft_message& handed = received.hand_to_raft();
  CHECK(std::string(handed.server_address) == "10.0.0.7:7001");
  // raft frees the payload on recv; here the test plays raft.
  raft_free(handed.append_entries.entries[0].batch);
  raft_free(handed.append_entries.entries);
}

Nonce filled_nonce(std::uint8_t first) {
  Nonce nonce{};
  for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<std::uint8_t>(first + i);
  return nonce;
}

TEST_CASE("the handshake frames round-trip and refuse bad identities", "[peer_codec]") {
  Bytes frame;
  const Hello hello{"cluster-a", 3, 5, filled_nonce(1)};
  REQUIRE(encode_hello_frame(hello, frame).ok());
  Hello decoded;
  REQUIRE(decode_hello_frame(frame, decoded).ok());
  CHECK(decoded.cluster_id == "cluster-a");
  CHECK(decoded.dialer == 3);
  CHECK(decoded.acceptor == 5);
  CHECK(decoded.nonce == hello.nonce);
  for (std::size_t length = 0; length < frame.size(); ++length) {
    Bytes prefix(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(length));
    CHECK_FALSE(decode_hello_frame(prefix, decoded).ok());
  }
  CHECK(encode_hello_frame({"", 3, 5, {}}, frame).code == RAFT_INVALID);
  CHECK(encode_hello_frame({"cluster-a", 0, 5, {}}, frame).code == RAFT_INVALID);
  CHECK(encode_hello_frame({"cluster-a", 3, 0, {}}, frame).code == RAFT_INVALID);
  CHECK(encode_hello_frame({std::string(kMaxClusterIdBytes + 1, 'x'), 3, 5, {}}, frame).code ==
        RAFT_INVALID);
  Samples samples;
  CHECK_FALSE(decode_hello_frame(encode(samples.messages[2]), decoded).ok());
  OwnedMessage message;
  REQUIRE(encode_hello_frame(hello, frame).ok());
  CHECK_FALSE(decode_message_frame(frame, FrameLimits{}, message).ok());

  const Challenge challenge{filled_nonce(40), filled_nonce(80)};
  encode_challenge_frame(challenge, frame);
  Challenge challenge_back;
  const std::span<const std::uint8_t> body = std::span(frame).subspan(kFrameHeaderBytes);
  REQUIRE(decode_challenge_body(body, challenge_back).ok());
  CHECK(challenge_back.nonce == challenge.nonce);
  CHECK(challenge_back.proof == challenge.proof);
  CHECK_FALSE(decode_challenge_body(body.first(body.size() - 1), challenge_back).ok());
  encode_proof_frame(filled_nonce(9), frame);
  Proof proof{};
  REQUIRE(decode_proof_body(std::span(frame).subspan(kFrameHeaderBytes), proof).ok());
  CHECK(proof == filled_nonce(9));
  frame.push_back(0);
  CHECK_FALSE(decode_proof_body(std::span(frame).subspan(kFrameHeaderBytes), proof).ok());
}

TEST_CASE("frame types have their own size limits", "[peer_codec]") {
  const FrameLimits limits{1u << 20};
  FrameHeader header;
  Bytes frame(kFrameHeaderBytes, 0);
  frame[0] = kFrameMagicVersion;
  for (const FrameType type :
       {FrameType::kHello, FrameType::kChallenge, FrameType::kProof, FrameType::kRequestVote,
        FrameType::kRequestVoteResult, FrameType::kAppendEntriesResult, FrameType::kTimeoutNow}) {
    frame[1] = static_cast<std::uint8_t>(type);
    set_body_length(frame, kSmallFrameBodyBytes);
    CHECK(decode_frame_header(frame, limits, header).ok());
    set_body_length(frame, kSmallFrameBodyBytes + 1);
    CHECK(decode_frame_header(frame, limits, header).code == RAFT_TOOBIG);
  }
  for (const FrameType type : {FrameType::kAppendEntries, FrameType::kForward,
                               FrameType::kForwardReply}) {
    frame[1] = static_cast<std::uint8_t>(type);
    set_body_length(frame, limits.max_body_bytes);
    CHECK(decode_frame_header(frame, limits, header).ok());
    set_body_length(frame, limits.max_body_bytes + 1);
    CHECK(decode_frame_header(frame, limits, header).code == RAFT_TOOBIG);
  }
}

TEST_CASE("an InstallSnapshot and a snapshot chunk are bounded below the large frame limit",
          "[peer_codec]") {
  const FrameLimits limits;  // 256 MiB for AppendEntries and forward frames
  FrameHeader header;
  Bytes frame(kFrameHeaderBytes, 0);
  frame[0] = kFrameMagicVersion;
  const std::pair<FrameType, std::uint64_t> bounds[] = {
      {FrameType::kInstallSnapshot, kInstallSnapshotBodyBytes},
      {FrameType::kSnapshotChunk, kSnapshotChunkBodyBytes},
      {FrameType::kSnapshotAck, kSmallFrameBodyBytes}};
  for (const auto& [type, bound] : bounds) {
    frame[1] = static_cast<std::uint8_t>(type);
    set_body_length(frame, bound);
    CHECK(decode_frame_header(frame, limits, header).ok());
    set_body_length(frame, bound + 1);
    CHECK(decode_frame_header(frame, limits, header).code == RAFT_TOOBIG);
  }
  Bytes encoded;
  CHECK(encode_forward_frame(FrameType::kSnapshotChunk, Bytes(kSnapshotChunkBodyBytes + 1),
                             limits, encoded)
            .code == RAFT_TOOBIG);
  CHECK(encode_forward_frame(FrameType::kRequestVote, Bytes(4), limits, encoded).code ==
        RAFT_INVALID);
}

TEST_CASE("snapshot chunks and acks round-trip; damaged ones are refused", "[peer_codec]") {
  const Bytes data(1000, 0x5a);
  SnapshotChunk chunk{.transfer = 77, .offset = 4096, .last = true, .digest = {}, .data = data};
  chunk.digest.fill(0xab);
  Bytes body;
  encode_snapshot_chunk(chunk, body);
  SnapshotChunk decoded;
  REQUIRE(decode_snapshot_chunk(body, decoded).ok());
  CHECK(decoded.transfer == 77u);
  CHECK(decoded.offset == 4096u);
  CHECK(decoded.last);
  CHECK(decoded.digest == chunk.digest);
  CHECK(Bytes(decoded.data.begin(), decoded.data.end()) == data);
  for (std::size_t cut = 0; cut < 17 + kSnapshotDigestBytes; ++cut) {  // inside the fields
    CHECK(decode_snapshot_chunk({body.data(), cut}, decoded).code == RAFT_MALFORMED);
  }
  chunk.last = false;
  encode_snapshot_chunk(chunk, body);
  REQUIRE(decode_snapshot_chunk(body, decoded).ok());
  CHECK_FALSE(decoded.last);
  CHECK(decoded.data.size() == data.size());
  Bytes damaged = body;
  damaged[16] = 0x02;  // an unknown flag
  CHECK(decode_snapshot_chunk(damaged, decoded).code == RAFT_MALFORMED);
  damaged = body;
  std::fill(damaged.begin(), damaged.begin() + 8, 0);  // transfer id 0
  CHECK(decode_snapshot_chunk(damaged, decoded).code == RAFT_MALFORMED);
  CHECK(decode_snapshot_chunk({body.data(), 17}, decoded).code == RAFT_MALFORMED);  // no data
  const Bytes too_much(kMaxSnapshotChunkBytes + 1);
  encode_snapshot_chunk({.transfer = 1, .offset = 0, .data = too_much}, body);
  CHECK(decode_snapshot_chunk(body, decoded).code == RAFT_MALFORMED);
  encode_snapshot_chunk({.transfer = 1, .offset = ~std::uint64_t{0}, .data = data}, body);
  CHECK(decode_snapshot_chunk(body, decoded).code == RAFT_MALFORMED);  // offset overflows

  encode_snapshot_ack({.transfer = 5, .offset = 123, .status = SnapshotAckStatus::kDone}, body);
  CHECK(body.size() == 17);
  SnapshotAck ack;
  REQUIRE(decode_snapshot_ack(body, ack).ok());
  CHECK(ack.transfer == 5u);
  CHECK(ack.offset == 123u);
  CHECK(ack.status == SnapshotAckStatus::kDone);
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    CHECK(decode_snapshot_ack({body.data(), cut}, ack).code == RAFT_MALFORMED);
  }
  Bytes longer = body;
  longer.push_back(0);
  CHECK(decode_snapshot_ack(longer, ack).code == RAFT_MALFORMED);
  body[16] = 3;  // an unknown status
  CHECK(decode_snapshot_ack(body, ack).code == RAFT_MALFORMED);
}

TEST_CASE("terms that would overflow are malformed", "[peer_codec]") {
  Samples samples;
  for (const raft_message& sample : samples.messages) {
    raft_message message = sample;
    switch (message.type) {
      case RAFT_IO_APPEND_ENTRIES: message.append_entries.term = kMaxTerm + 1; break;
      case RAFT_IO_APPEND_ENTRIES_RESULT: message.append_entries_result.term = ~raft_term{0}; break;
      case RAFT_IO_REQUEST_VOTE: message.request_vote.last_log_term = kMaxTerm + 1; break;
      case RAFT_IO_REQUEST_VOTE_RESULT: message.request_vote_result.term = kMaxTerm + 1; break;
      case RAFT_IO_INSTALL_SNAPSHOT: message.install_snapshot.last_term = kMaxTerm + 1; break;
      case RAFT_IO_TIMEOUT_NOW: message.timeout_now.term = kMaxTerm + 1; break;
    }
    INFO("type " << message.type);
    CHECK(decode(encode(message)).code == RAFT_MALFORMED);
  }
  raft_entry entry{kMaxTerm + 1, RAFT_COMMAND, {nullptr, 0}, nullptr};
  raft_message append = samples.messages[0];
  append.append_entries.entries = &entry;
  append.append_entries.n_entries = 1;
  CHECK(decode(encode(append)).code == RAFT_MALFORMED);
}

TEST_CASE("the wire format matches the frozen frames in testdata", "[peer_codec]") {
  std::ifstream file(KEEPDB_SOURCE_DIR "/tests/testdata/consensus/frames.txt");
  REQUIRE(file.good());
  Samples samples;
  std::map<std::string, std::string> expected;
  for (std::string line; std::getline(file, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name;
    std::string hex;
    fields >> name >> hex;
    expected[name] = hex;
  }
  const char* const names[] = {"append_entries", "heartbeat",           "append_entries_result",
                               "request_vote",   "request_vote_result", "install_snapshot",
                               "timeout_now"};
  for (std::size_t i = 0; i < samples.messages.size(); ++i) {
    INFO(names[i]);
    CHECK(to_hex(encode(samples.messages[i])) == expected[names[i]]);
  }
  Bytes frame;
  REQUIRE(encode_hello_frame({"cluster-a", 3, 5, filled_nonce(1)}, frame).ok());
  CHECK(to_hex(frame) == expected["hello"]);
  encode_challenge_frame({filled_nonce(40), filled_nonce(80)}, frame);
  CHECK(to_hex(frame) == expected["challenge"]);
  encode_proof_frame(filled_nonce(9), frame);
  CHECK(to_hex(frame) == expected["proof"]);
}

TEST_CASE("every truncation of a valid frame is rejected", "[peer_codec]") {
  Samples samples;
  for (const raft_message& message : samples.messages) {
    const Bytes frame = encode(message);
    for (std::size_t length = 0; length < frame.size(); ++length) {
      Bytes prefix(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(length));
      INFO("type " << message.type << " cut at " << length);
      CHECK(decode(prefix).code == RAFT_MALFORMED);
      if (length >= kFrameHeaderBytes) {
        set_body_length(prefix, length - kFrameHeaderBytes);  // consistent header, short body
        CHECK(decode(prefix).code == RAFT_MALFORMED);
      }
    }
  }
}

TEST_CASE("frames above the size limit are refused before decoding", "[peer_codec]") {
  Samples samples;
  const Bytes frame = encode(samples.messages[0]);
  const FrameLimits tight{frame.size() - kFrameHeaderBytes - 1};
  CHECK(decode(frame, tight).code == RAFT_TOOBIG);
  FrameHeader header;
  Bytes huge = frame;
  set_body_length(huge, ~std::uint64_t{0});
  CHECK(decode_frame_header(huge, FrameLimits{}, header).code == RAFT_TOOBIG);
  Bytes encoded;
  CHECK(encode_message_frame(kSender, samples.messages[0], tight, encoded).code == RAFT_TOOBIG);
}

TEST_CASE("malformed frames are errors, never crashes", "[peer_codec]") {
  Samples samples;
  const Bytes append = encode(samples.messages[0]);
  const Bytes vote = encode(samples.messages[3]);
  const std::size_t fields = kFrameHeaderBytes + 8;

  SECTION("bad magic or unknown type") {
    Bytes frame = vote;
    frame[0] = 0xB1;  // protocol version 1: no authentication, refused
    CHECK(decode(frame).code == RAFT_MALFORMED);
    frame = vote;
    frame[1] = 9;
    CHECK(decode(frame).code == RAFT_MALFORMED);
  }
  SECTION("trailing bytes") {
    Bytes frame = vote;
    frame.push_back(0);
    set_body_length(frame, frame.size() - kFrameHeaderBytes);
    CHECK(decode(frame).code == RAFT_MALFORMED);
  }
  SECTION("a boolean that is neither 0 nor 1") {
    Bytes frame = vote;
    frame[fields + 32] = 2;  // disrupt_leader
    CHECK(decode(frame).code == RAFT_MALFORMED);
  }
  SECTION("zero sender id") {
    Bytes frame = vote;
    std::fill(frame.begin() + kFrameHeaderBytes, frame.begin() + kFrameHeaderBytes + 8, 0);
    CHECK(decode(frame).code == RAFT_MALFORMED);
  }
  SECTION("an entry count larger than the frame") {
    Bytes frame = append;
    frame[fields + 32 + 4] = 0xff;  // n_entries high byte
    CHECK(decode(frame).code == RAFT_MALFORMED);
  }
  SECTION("an entry of unknown type") {
    Bytes frame = append;
    frame[fields + 40 + 8] = 4;
    CHECK(decode(frame).code == RAFT_MALFORMED);
  }
  SECTION("entry lengths that overflow when summed") {
    Bytes frame = append;
    for (int entry = 0; entry < 2; ++entry) {
      const std::size_t length_at = fields + 40 + entry * 17 + 9;
      std::fill(frame.begin() + length_at, frame.begin() + length_at + 8, 0xff);
    }
    CHECK(decode(frame).code == RAFT_MALFORMED);
  }
  SECTION("random garbage after a valid header") {
    std::mt19937_64 random(42);
    for (int round = 0; round < 20000; ++round) {
      Bytes frame(kFrameHeaderBytes + random() % 96);
      for (std::size_t i = kFrameHeaderBytes; i < frame.size(); ++i) {
        frame[i] = static_cast<std::uint8_t>(random());
      }
      frame[0] = kFrameMagicVersion;
      frame[1] = static_cast<std::uint8_t>(1 + random() % 6);
      set_body_length(frame, frame.size() - kFrameHeaderBytes);
      OwnedMessage message;
      const util::IoStatus status = decode_message_frame(frame, FrameLimits{}, message);
      if (!status.ok()) CHECK(status.code == RAFT_MALFORMED);
    }
  }
  SECTION("random mutations of valid frames") {
    std::mt19937_64 random(7);
    for (int round = 0; round < 20000; ++round) {
      Bytes frame = encode(samples.messages[random() % samples.messages.size()]);
      const int flips = 1 + static_cast<int>(random() % 4);
      for (int flip = 0; flip < flips; ++flip) {
        frame[kFrameHeaderBytes + random() % (frame.size() - kFrameHeaderBytes)] ^=
            static_cast<std::uint8_t>(1 + random() % 255);
      }
      OwnedMessage message;
      (void)decode_message_frame(frame, FrameLimits{}, message);  // must not crash or leak
    }
  }
}

}  // namespace keepdb::consensus
