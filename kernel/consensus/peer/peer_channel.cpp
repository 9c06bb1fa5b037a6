// Peer connections over a transport: securing the channel, matching the roster identity.
#include "kernel/consensus/peer/peer_channel.h"

namespace keepdb::consensus {

std::string secure_peer_channel(util::Channel& channel, const TcpPeerOptions& options,
                                bool dialed, raft_id peer_id, std::weak_ptr<void> owner) {
  if (!options.transport) return {};
  boost::system::error_code error;
  const auto remote = channel.socket().remote_endpoint(error);
  if (error) return "no remote address: " + error.message();
  const auto local = channel.socket().local_endpoint(error);
  util::TransportPeer peer;
  peer.peer_addr = remote.address().to_string();
  peer.peer_port = remote.port();
  peer.local_port = error ? std::uint16_t{0} : local.port();
  peer.dialed = dialed;
  if (dialed) peer.server_name = options.member_identity(peer_id);
  std::string why;
  auto session = options.transport->open(peer, why);
  if (!session) return why;
  channel.secure(std::move(session),
                 {options.handshake_timeout, options.transport_handshake_max_bytes},
                 std::move(owner));
  return {};
}

std::string identity_refusal(const util::Channel& channel, const TcpPeerOptions& options,
                             raft_id peer_id) {
  if (!options.transport) return {};
  const std::string expected = options.member_identity(peer_id);
  if (expected.empty()) {
    return "server " + std::to_string(peer_id) + " has no identity in the cluster roster";
  }
  const util::PeerIdentity* identity = channel.identity();
  if (identity != nullptr && identity->has_name(expected)) return {};
  const std::string presented = identity == nullptr  ? "no certificate"
                                : !identity->verified ? "an unverified certificate"
                                                      : "identity '" + identity->display_name() + "'";
  return "server " + std::to_string(peer_id) + " presented " + presented +
         ", but its roster identity is '" + expected + "'";
}

std::string presented_identity(const util::Channel& channel) {
  const util::PeerIdentity* identity = channel.identity();
  return identity == nullptr ? std::string() : identity->display_name();
}

std::string channel_error(const util::Channel& channel, const boost::system::error_code& error) {
  return channel.failure().empty() ? error.message() : channel.failure();
}

}  // namespace keepdb::consensus
