// Member address encoding: "<peer>,<client>" inside raft's address string.
#include "kernel/consensus/peer/member_address.h"

#include <charconv>

namespace keepdb::consensus {

std::string encode_member_address(const MemberAddress& address) {
  return address.client.empty() ? address.peer : address.peer + "," + address.client;
}

MemberAddress parse_member_address(std::string_view raft_address) {
  const auto comma = raft_address.find(',');
  if (comma == std::string_view::npos) return {std::string(raft_address), {}};
  return {std::string(raft_address.substr(0, comma)), std::string(raft_address.substr(comma + 1))};
}

std::optional<HostPort> split_host_port(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = address.substr(0, colon);
  const std::string_view port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || error != std::errc{} || end != port_text.data() + port_text.size() ||
      port == 0 || port > 65535) {
    return std::nullopt;
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace keepdb::consensus
