// The byte stream under a peer connection (util::Channel) and what peer mutual TLS adds to
// it, for both directions: the transport session put on a new connection (server role when
// accepted, client role when dialled), the check that the certificate the session verified
// carries the identity of the member the peer is, and the reason a channel failed.
//
// Thread-safety: plain functions; the channel's thread only. Ownership: the channel owns
// the session once secured.
#pragma once

#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

#include "kernel/consensus/peer/tcp_peer_options.h"
#include "util/channel.h"

namespace keepdb::consensus {

// With options.transport, opens a session for the connected `channel` (`dialed`: this
// server dialled member `peer_id`, whose roster identity goes with it as the expected
// server name) and secures the channel with the handshake byte cap; `owner` keeps the
// channel alive while its operations run. Returns why it could not, or "" (also without a
// transport: the channel stays plain).
std::string secure_peer_channel(util::Channel& channel, const TcpPeerOptions& options,
                                bool dialed, raft_id peer_id, std::weak_ptr<void> owner);

// Without a transport "". With one: "" when the established channel's verified certificate
// carries member `peer_id`'s roster identity, else a refusal naming the identity presented
// and the one expected.
std::string identity_refusal(const util::Channel& channel, const TcpPeerOptions& options,
                             raft_id peer_id);

// The identity the channel's peer presented, for log lines; "" on a plain channel or
// before the handshake.
std::string presented_identity(const util::Channel& channel);

// Why an operation on `channel` failed: the transport's reason when its session failed,
// else the socket error.
std::string channel_error(const util::Channel& channel, const boost::system::error_code& error);

}  // namespace keepdb::consensus
