// The raft address of a cluster member. Raft stores one opaque string per server and
// replicates it with every configuration change, so KeepDB puts both of a member's
// endpoints in it: "<peer host:port>,<client host:port>" (the client part may be absent).
// The peer part is where the peer transport connects; the client part is what
// KEEPDB.MEMBERS and redirections report.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keepdb::consensus {

struct MemberAddress {
  std::string peer;    // "host:port"
  std::string client;  // "host:port", or empty when unknown
};

std::string encode_member_address(const MemberAddress& address);
MemberAddress parse_member_address(std::string_view raft_address);

struct HostPort {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
};

// Splits "host:port" or "[v6]:port"; nullopt when malformed or the port is not 1..65535.
std::optional<HostPort> split_host_port(std::string_view address);

}  // namespace keepdb::consensus
