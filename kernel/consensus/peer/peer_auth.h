// Peer authentication: the mutual challenge-response that opens every peer connection,
// before any other frame is accepted.
//
//   dialer   -> acceptor  HELLO     cluster id, dialer id, acceptor id, dialer nonce
//   acceptor -> dialer    CHALLENGE acceptor nonce, acceptor proof
//   dialer   -> acceptor  PROOF     dialer proof
//
// A proof is HMAC-SHA-256 (OpenSSL) keyed with the cluster secret over the whole
// transcript: a domain label, the role of the prover (acceptor or dialer), the cluster id,
// both ids and both nonces. Fresh 32-byte nonces from both sides make every proof single-use;
// the role makes an acceptor's proof useless as a dialer's; the ids bind the proof to this
// pair of servers, so a connection cannot be replayed or reflected to another member.
// The dialer checks the acceptor's proof before it proves itself, so it never writes to a
// server that does not hold the secret. Proofs are compared in constant time.
//
// This authenticates the two ends of the connection; it does not encrypt or protect later
// frames against an attacker on the path between them (mutual TLS adds that).
//
// Thread-safety: pure functions (fresh_nonce uses OpenSSL's thread-safe RAND_bytes).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "kernel/consensus/peer/cluster_secret.h"
#include "util/raft_c_api.h"

namespace keepdb::consensus {

inline constexpr std::size_t kNonceBytes = 32;
inline constexpr std::size_t kProofBytes = 32;
using Nonce = std::array<std::uint8_t, kNonceBytes>;
using Proof = std::array<std::uint8_t, kProofBytes>;

enum class Prover : std::uint8_t { kAcceptor = 1, kDialer = 2 };

// Everything both sides know once HELLO and CHALLENGE have been exchanged.
struct HandshakeTranscript {
  std::string_view cluster_id;
  raft_id dialer = 0;
  raft_id acceptor = 0;
  Nonce dialer_nonce{};
  Nonce acceptor_nonce{};
};

// A nonce from OpenSSL's CSPRNG; throws std::runtime_error if it cannot produce one.
Nonce fresh_nonce();

Proof compute_proof(const ClusterSecret& secret, Prover prover,
                    const HandshakeTranscript& transcript);

// Whether `received` is `prover`'s proof for `transcript`, compared in constant time.
bool proof_matches(const ClusterSecret& secret, Prover prover,
                   const HandshakeTranscript& transcript, const Proof& received);

}  // namespace keepdb::consensus
