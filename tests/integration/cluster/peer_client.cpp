// PeerClient: handshake and frames of the peer protocol, from the test's side.
#include "tests/integration/cluster/peer_client.h"

#include <cstring>
#include <stdexcept>

#include "kernel/commands/op_batch.h"
#include "kernel/consensus/write/forward_codec.h"

namespace keepdb::integration {

using namespace consensus;

namespace {

std::string_view as_text(const std::vector<std::uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

ClusterSecret secret_of(std::string_view text) {
  return ClusterSecret::from_bytes(
      {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

}  // namespace

void PeerClient::hello(std::string_view cluster_id, std::uint64_t dialer, std::uint64_t acceptor) {
  cluster_id_ = cluster_id;
  transcript_ = {.cluster_id = cluster_id_,
                 .dialer = dialer,
                 .acceptor = acceptor,
                 .dialer_nonce = fresh_nonce(),
                 .acceptor_nonce = {}};
  std::vector<std::uint8_t> frame;
  if (!encode_hello_frame({cluster_id_, dialer, acceptor, transcript_.dialer_nonce}, frame).ok()) {
    throw std::runtime_error("cannot encode the hello");
  }
  send(frame);
}

bool PeerClient::handshake(std::string_view cluster_id, std::uint64_t dialer,
                           std::uint64_t acceptor, std::string_view secret) {
  hello(cluster_id, dialer, acceptor);
  const std::string frame = raw_.read_bytes(kFrameHeaderBytes + kNonceBytes + kProofBytes);
  const auto body = std::span(reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size())
                        .subspan(kFrameHeaderBytes);
  Challenge challenge;
  if (frame[1] != static_cast<char>(FrameType::kChallenge) ||
      !decode_challenge_body(body, challenge).ok()) {
    throw std::runtime_error("the node did not answer with a challenge");
  }
  transcript_.acceptor_nonce = challenge.nonce;
  const ClusterSecret key = secret_of(secret);
  std::vector<std::uint8_t> proof;
  encode_proof_frame(compute_proof(key, Prover::kDialer, transcript_), proof);
  send(proof);
  return proof_matches(key, Prover::kAcceptor, transcript_, challenge.proof);
}

bool PeerClient::send(const std::vector<std::uint8_t>& frame) {
  return raw_.send(as_text(frame));
}

std::vector<std::uint8_t> PeerClient::forward_frame(
    const std::vector<std::vector<std::string>>& ops, std::string_view principal,
    std::uint32_t roles) {
  commands::OpBatchBuilder batch;
  ForwardRequest request{.id = 1, .kind = ForwardKind::kWrite, .callers = {}, .batch = {}};
  for (const auto& op : ops) {
    const std::vector<std::string_view> args(op.begin(), op.end());
    batch.add(args);
    request.callers.push_back({std::string(principal), roles});
  }
  request.batch = batch.take(1);
  std::vector<std::uint8_t> frame;
  if (!encode_forward_frame(FrameType::kForward, encode_forward_request(request), FrameLimits{},
                            frame)
           .ok()) {
    throw std::runtime_error("cannot encode the forward frame");
  }
  return frame;
}

std::vector<std::uint8_t> PeerClient::vote_frame(std::uint64_t candidate, std::uint64_t term) {
  raft_message message;
  std::memset(&message, 0, sizeof message);
  message.type = RAFT_IO_REQUEST_VOTE;
  message.request_vote.term = term;
  message.request_vote.candidate_id = candidate;
  std::vector<std::uint8_t> frame;
  if (!encode_message_frame(candidate, message, FrameLimits{}, frame).ok()) {
    throw std::runtime_error("cannot encode the vote");
  }
  return frame;
}

}  // namespace keepdb::integration
