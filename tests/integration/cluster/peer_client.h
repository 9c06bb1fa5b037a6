// PeerClient: a peer of our own making on a keepd node's peer port, for attacks and for
// the frames a real node would never send. It speaks the handshake of
// kernel/consensus/peer/peer_auth.h with whatever identity and secret a test gives it, then
// sends raw frames (built with kernel/consensus/peer/peer_codec.h and write/forward_codec.h).
//
// Thread-safety: none; one thread per client. Lifetime: RAII owner of the connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/consensus/peer/peer_codec.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {

class PeerClient {
 public:
  // Connects to 127.0.0.1:peer_port; throws std::runtime_error on failure.
  explicit PeerClient(std::uint16_t peer_port) : raw_(peer_port) {}

  // Sends a HELLO as server `dialer` calling server `acceptor` of `cluster_id`.
  void hello(std::string_view cluster_id, std::uint64_t dialer, std::uint64_t acceptor);
  // The whole handshake: HELLO, then the CHALLENGE, then a PROOF made with `secret` (sent
  // even when the acceptor's proof does not match it, as an attacker would). True if the
  // node answered with a challenge whose proof matches `secret`.
  bool handshake(std::string_view cluster_id, std::uint64_t dialer, std::uint64_t acceptor,
                 std::string_view secret);

  bool send(const std::vector<std::uint8_t>& frame);
  bool wait_closed(milliseconds timeout = kReplyTimeout) { return raw_.wait_closed(timeout); }

  // A FORWARD frame asking the leader to run `ops`, each for a caller with `principal` and
  // `roles` (KDB_ROLE_* bits).
  static std::vector<std::uint8_t> forward_frame(const std::vector<std::vector<std::string>>& ops,
                                                 std::string_view principal, std::uint32_t roles);
  // A RequestVote from server `candidate` with `term`.
  static std::vector<std::uint8_t> vote_frame(std::uint64_t candidate, std::uint64_t term);

 private:
  RawClient raw_;
  consensus::HandshakeTranscript transcript_;
  std::string cluster_id_;
};

}  // namespace keepdb::integration
