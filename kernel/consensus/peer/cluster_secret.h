// ClusterSecret: the shared secret every member of a cluster proves in the peer handshake
// (peer_auth.h), read from `[cluster] secret_file`. The bytes are wiped (OPENSSL_cleanse) when
// the object dies and are never logged or put in an error message.
//
// The file must be a regular file (not a symlink), owned by the user keepd runs as, with no
// group or other permission bits, holding 32 to 4096 bytes once trailing whitespace (a final
// newline) is cut; the directories above it must pass util/path_trust.h's rule (no one but
// root and the keepd user can swap the file). `openssl rand -hex 32 > FILE && chmod 600 FILE` makes
// one.
//
// Thread-safety: immutable after construction; share by const reference or shared_ptr.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace keepdb::consensus {

class ClusterSecret {
 public:
  static constexpr std::size_t kMinBytes = 32;
  static constexpr std::size_t kMaxBytes = 4096;

  // No secret: the handshake still binds ids and nonces, but proves nothing (an operator
  // who accepted the "no-peer-secret" risk on a loopback-only peer listener).
  ClusterSecret() = default;
  // Reads and checks `file` as described above; throws std::runtime_error naming the file
  // and the rule it breaks.
  static ClusterSecret load(const std::filesystem::path& file);
  // A secret from bytes already in memory (tests); no length rule.
  static ClusterSecret from_bytes(std::span<const std::uint8_t> bytes);

  ClusterSecret(ClusterSecret&& other) noexcept;
  ClusterSecret& operator=(ClusterSecret&& other) noexcept;
  ClusterSecret(const ClusterSecret&) = delete;
  ClusterSecret& operator=(const ClusterSecret&) = delete;
  ~ClusterSecret();

  bool empty() const { return bytes_.empty(); }
  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(bytes_.data()), bytes_.size()};
  }

 private:
  void wipe() noexcept;
  std::string bytes_;
};

}  // namespace keepdb::consensus
