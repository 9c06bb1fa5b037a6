// Address parsing, address keys and the allow-list (see address.h).
#include "plugins/ratelimit/address.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace keepdb::ratelimit {
namespace {

namespace ip = boost::asio::ip;

// Longest textual IPv6 address with a zone id that we accept.
constexpr std::size_t kMaxAddressText = 63;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// True when the first `prefix` bits of a and b are equal.
bool same_prefix(const ip::address_v6::bytes_type& a, const ip::address_v6::bytes_type& b,
                 unsigned prefix) {
  const unsigned whole = prefix / 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  const unsigned bits = prefix % 8;
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff00u >> bits);
  return (a[whole] & mask) == (b[whole] & mask);
}

// Refuses "10.0.0.1/8": a range written with host bits is most likely a typo.
template <typename Network>
void require_canonical(const std::string& entry, const Network& network) {
  if (network.network() == network.address()) return;
  throw std::invalid_argument("allow: '" + entry + "' has bits set past its prefix (did you mean " +
                              network.canonical().to_string() + "?)");
}

}  // namespace

std::optional<ip::address> parse_address(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddressText) return std::nullopt;
  char buffer[kMaxAddressText + 1];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  boost::system::error_code error;
  const ip::address address = ip::make_address(buffer, error);
  if (error) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::address(ip::make_address_v4(ip::v4_mapped, address.to_v6()));
  }
  return address;
}

IpKey key_of(const ip::address& address, unsigned ipv6_prefix) {
  const ip::address_v6 v6 =
      address.is_v4() ? ip::make_address_v6(ip::v4_mapped, address.to_v4()) : address.to_v6();
  IpKey key = v6.to_bytes();
  if (address.is_v6()) {
    for (unsigned bit = ipv6_prefix; bit < 128; ++bit) {
      key[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    }
  }
  return key;
}

AllowList AllowList::parse(std::string_view list) {
  AllowList allow;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string entry(trim(list.substr(0, comma)));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    boost::system::error_code error;
    const bool cidr = entry.find('/') != std::string::npos;
    if (entry.find(':') == std::string::npos) {
      const ip::network_v4 network = cidr ? ip::make_network_v4(entry, error)
                                          : ip::network_v4(ip::make_address_v4(entry, error), 32);
      if (!error) require_canonical(entry, network);
      if (!error) allow.v4_.push_back(network.canonical());
    } else {
      const ip::network_v6 network = cidr ? ip::make_network_v6(entry, error)
                                          : ip::network_v6(ip::make_address_v6(entry, error), 128);
      if (!error) require_canonical(entry, network);
      if (!error) allow.v6_.push_back(network.canonical());
    }
    if (error) {
      throw std::invalid_argument("allow: '" + entry +
                                  "' is not an IP address or CIDR range (like 10.0.0.0/8 or "
                                  "fd00::/8)");
    }
  }
  return allow;
}

bool AllowList::contains(const ip::address& address) const {
  if (address.is_v4()) {
    const std::uint32_t value = address.to_v4().to_uint();
    return std::any_of(v4_.begin(), v4_.end(), [&](const ip::network_v4& network) {
      return (value & network.netmask().to_uint()) == network.network().to_uint();
    });
  }
  const auto bytes = address.to_v6().to_bytes();
  return std::any_of(v6_.begin(), v6_.end(), [&](const ip::network_v6& network) {
    return same_prefix(bytes, network.network().to_bytes(), network.prefix_length());
  });
}

}  // namespace keepdb::ratelimit
