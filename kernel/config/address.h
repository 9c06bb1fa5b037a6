// Syntax of "host:port" addresses in the configuration (cluster members), and whether an IP
// is loopback. Only the text: nothing is resolved or connected here.
//
// Thread-safety: stateless; callable from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keepdb::config {

// Why `address` is not "host:port", or nullopt when it is. The port must be 1..65535; the
// host must be non-empty without whitespace, and an IPv6 host must be bracketed
// ("[::1]:7001").
std::optional<std::string> host_port_problem(std::string_view address);

// Whether `host` is an IP address on the loopback range (127.0.0.0/8 or ::1).
bool is_loopback_ip(const std::string& host);

}  // namespace keepdb::config
