// Client addresses as the limiter sees them: the text the host passes (kdb_conn_info's
// peer_addr, an IP address without the port) parsed with Boost.Asio, the 16-byte key an
// address is tracked and banned under (IPv4 as IPv4-mapped IPv6; IPv6 cut to a prefix, since
// one host usually holds a whole /64), and the allow-list of addresses and CIDR ranges.
//
// Thread-safety: AllowList is immutable after parse() and safe to read from any thread.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace keepdb::ratelimit {

using IpKey = std::array<std::uint8_t, 16>;

// The address in `text`, an IPv4-mapped IPv6 address unmapped; nullopt when `text` is not an
// IP address (a Unix socket, say). Never throws, never allocates.
std::optional<boost::asio::ip::address> parse_address(std::string_view text);

// The key `address` is tracked under: IPv4 addresses whole, IPv6 ones cut to `ipv6_prefix`
// bits (1 to 128).
IpKey key_of(const boost::asio::ip::address& address, unsigned ipv6_prefix);

class AllowList {
 public:
  // A comma-separated list of addresses ("10.1.2.3", "::1") and CIDR ranges ("10.0.0.0/8",
  // "fd00::/8"); blanks around entries are ignored. Throws std::invalid_argument naming the
  // bad entry (not an address, prefix out of range, bits set past the prefix).
  static AllowList parse(std::string_view list);

  bool contains(const boost::asio::ip::address& address) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }
  std::size_t size() const { return v4_.size() + v6_.size(); }

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

}  // namespace keepdb::ratelimit
