// Peer authentication: what a proof binds (secret, prover role, cluster, both ids, both
// nonces), that nonces are fresh, and the cluster secret file's rules (owner-only mode, no
// symlink, length) with errors that never echo the secret.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "kernel/consensus/peer/cluster_secret.h"
#include "kernel/consensus/peer/peer_auth.h"
#include "tests/support/temp_dir.h"

namespace keepdb::consensus {
namespace {

ClusterSecret secret_of(std::string_view text) {
  return ClusterSecret::from_bytes(
      {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::filesystem::path write_secret(const std::filesystem::path& file, const std::string& text,
                                   std::filesystem::perms perms) {
  std::ofstream(file) << text;
  std::filesystem::permissions(file, perms);
  return file;
}

std::string load_error(const std::filesystem::path& file) {
  try {
    ClusterSecret::load(file);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a proof binds the secret, the prover, the cluster, both ids and both nonces",
          "[peer_auth]") {
  const ClusterSecret secret = secret_of("the cluster secret, 32 bytes long");
  const HandshakeTranscript transcript{"cluster-a", 1, 2, fresh_nonce(), fresh_nonce()};
  const Proof proof = compute_proof(secret, Prover::kDialer, transcript);
  CHECK(proof_matches(secret, Prover::kDialer, transcript, proof));

  CHECK_FALSE(proof_matches(secret_of("another secret, also 32 bytes lo"), Prover::kDialer,
                            transcript, proof));
  CHECK_FALSE(proof_matches(secret, Prover::kAcceptor, transcript, proof));  // no reflection
  CHECK_FALSE(proof_matches(ClusterSecret(), Prover::kDialer, transcript, proof));
  HandshakeTranscript changed = transcript;
  changed.cluster_id = "cluster-b";
  CHECK_FALSE(proof_matches(secret, Prover::kDialer, changed, proof));
  changed = transcript;
  changed.dialer = 3;  // another member cannot reuse it
  CHECK_FALSE(proof_matches(secret, Prover::kDialer, changed, proof));
  changed = transcript;
  changed.acceptor = 3;  // nor can it be relayed to another server
  CHECK_FALSE(proof_matches(secret, Prover::kDialer, changed, proof));
  changed = transcript;
  changed.dialer_nonce[0] ^= 1;
  CHECK_FALSE(proof_matches(secret, Prover::kDialer, changed, proof));
  changed = transcript;
  changed.acceptor_nonce[31] ^= 1;  // a replay against a fresh challenge fails
  CHECK_FALSE(proof_matches(secret, Prover::kDialer, changed, proof));
  Proof flipped = proof;
  flipped[kProofBytes - 1] ^= 0x80;
  CHECK_FALSE(proof_matches(secret, Prover::kDialer, transcript, flipped));
}

TEST_CASE("nonces are fresh", "[peer_auth]") {
  CHECK(fresh_nonce() != fresh_nonce());
  CHECK(fresh_nonce() != Nonce{});
}

TEST_CASE("the cluster secret file must be private, real and long enough", "[peer_auth]") {
  test::TempDir dir;
  using std::filesystem::perms;
  const std::string good(64, 'a');

  const auto file =
      write_secret(dir.path() / "secret", good + "\n", perms::owner_read | perms::owner_write);
  const ClusterSecret loaded = ClusterSecret::load(file);
  CHECK(std::string(reinterpret_cast<const char*>(loaded.bytes().data()), loaded.bytes().size()) ==
        good);  // the final newline is cut

  const auto readable = write_secret(dir.path() / "readable", good,
                                     perms::owner_read | perms::owner_write | perms::group_read);
  CHECK_THAT(load_error(readable),
             Catch::Contains("has mode 0640") && Catch::Contains("chmod 600"));
  const auto world =
      write_secret(dir.path() / "world", good, perms::owner_read | perms::others_read);
  CHECK_THAT(load_error(world), Catch::Contains("has mode 0404"));

  const auto short_secret = write_secret(dir.path() / "short", "too short\n", perms::owner_read);
  const std::string short_error = load_error(short_secret);
  CHECK_THAT(short_error, Catch::Contains("fewer than 32 bytes"));
  CHECK_THAT(short_error, !Catch::Contains("too short"));  // never the secret itself

  std::filesystem::create_symlink(file, dir.path() / "link");
  CHECK_THAT(load_error(dir.path() / "link"), Catch::Contains("symbolic link"));
  CHECK_THAT(load_error(dir.path()), Catch::Contains("not a regular file"));
  CHECK_THAT(load_error(dir.path() / "missing"), Catch::Contains("No such file"));
  CHECK_THAT(load_error(file), Catch::Equals(""));
}

}  // namespace keepdb::consensus
