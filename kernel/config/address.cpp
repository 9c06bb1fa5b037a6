// "host:port" syntax checks for configured addresses; loopback detection.
#include "kernel/config/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace keepdb::config {

std::optional<std::string> host_port_problem(std::string_view address) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos)
    return "expected host:port, got '" + std::string(address) + "'";
  const std::string_view host = address.substr(0, colon);
  const std::string_view port_text = address.substr(colon + 1);
  if (host.empty()) return "host is empty in '" + std::string(address) + "'";
  if (std::any_of(host.begin(), host.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
    return "host contains whitespace in '" + std::string(address) + "'";
  }
  const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
  if (host.find(':') != std::string_view::npos && !bracketed) {
    return "an IPv6 host must be in brackets, e.g. '[::1]:7001', got '" + std::string(address) +
           "'";
  }
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port < 1 || port > 65535) {
    return "port must be between 1 and 65535 in '" + std::string(address) + "'";
  }
  return std::nullopt;
}

bool is_loopback_ip(const std::string& host) {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace keepdb::config
