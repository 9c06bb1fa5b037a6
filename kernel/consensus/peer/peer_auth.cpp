// Peer handshake proofs: HMAC-SHA-256 over the transcript, nonces from OpenSSL.
#include "kernel/consensus/peer/peer_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "util/byte_codec.h"

namespace keepdb::consensus {
namespace {

constexpr std::string_view kDomainLabel = "keepdb peer handshake v2";

std::vector<std::uint8_t> transcript_bytes(Prover prover, const HandshakeTranscript& transcript) {
  std::vector<std::uint8_t> bytes;
  util::ByteWriter writer(bytes);
  writer.put_bytes(kDomainLabel);
  writer.put_u8(static_cast<std::uint8_t>(prover));
  writer.put_u16(static_cast<std::uint16_t>(transcript.cluster_id.size()));
  writer.put_bytes(transcript.cluster_id);
  writer.put_u64(transcript.dialer);
  writer.put_u64(transcript.acceptor);
  writer.put_bytes(transcript.dialer_nonce);
  writer.put_bytes(transcript.acceptor_nonce);
  return bytes;
}

}  // namespace

Nonce fresh_nonce() {
  Nonce nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw std::runtime_error("OpenSSL could not generate a random nonce");
  }
  return nonce;
}

Proof compute_proof(const ClusterSecret& secret, Prover prover,
                    const HandshakeTranscript& transcript) {
  const std::vector<std::uint8_t> message = transcript_bytes(prover, transcript);
  Proof proof{};
  unsigned int length = 0;
  // HMAC accepts an empty key (the accepted "no-peer-secret" risk); a null key pointer with
  // length 0 would make OpenSSL reuse a previous key, so always pass a valid pointer.
  static const std::uint8_t kNoKey = 0;
  const std::uint8_t* key = secret.empty() ? &kNoKey : secret.bytes().data();
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.bytes().size()), message.data(),
           message.size(), proof.data(), &length) == nullptr ||
      length != proof.size()) {
    throw std::runtime_error("OpenSSL HMAC-SHA-256 failed");
  }
  return proof;
}

bool proof_matches(const ClusterSecret& secret, Prover prover,
                   const HandshakeTranscript& transcript, const Proof& received) {
  const Proof expected = compute_proof(secret, prover, transcript);
  return CRYPTO_memcmp(expected.data(), received.data(), expected.size()) == 0;
}

}  // namespace keepdb::consensus
