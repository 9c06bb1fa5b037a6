// Options: every malformed value is refused with one line naming the key (plugins/ratelimit/
// options.h), and good values become the limits they say.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "tests/unit/ratelimit/limiter_support.h"

namespace keepdb::ratelimit::test {
namespace {

std::string refusal(Options options) {
  try {
    config(options);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("ratelimit options: defaults leave every limit off", "[ratelimit][options]") {
  const Config c = config({});
  CHECK(c.connections_per_ip == 0);
  CHECK_FALSE(c.new_connections_per_ip.enabled());
  CHECK_FALSE(c.commands_per_connection.enabled());
  CHECK_FALSE(c.commands_per_principal.enabled());
  CHECK_FALSE(c.bytes_per_connection.enabled());
  CHECK(c.auth_failure_limit == 0);
  CHECK(c.allow.empty());
  CHECK(c.costs.cost("GET") == 1);
}

TEST_CASE("ratelimit options: rates bursts and costs", "[ratelimit][options]") {
  const Config c = config({{"commands_per_second_per_connection", "2.5"},
                           {"commands_burst_per_connection", "10"},
                           {"bytes_per_second_per_connection", "1000000"},
                           {"command_costs", " SCAN=10 , flushdb=1000,ping=0 "},
                           {"default_command_cost", "2"},
                           {"allow", "127.0.0.1, 10.0.0.0/8 ,::1,fd00::/8"}});
  CHECK(c.commands_per_connection.interval_ns == 400 * kMs);
  CHECK(c.commands_per_connection.burst == 10);
  CHECK(c.bytes_per_connection.interval_ns == 1000);
  CHECK(c.bytes_per_connection.burst == 1'000'000);  // default burst: one second's worth
  CHECK(c.costs.cost("scan") == 10);
  CHECK(c.costs.cost("Scan") == 10);
  CHECK(c.costs.cost("FLUSHDB") == 1000);
  CHECK(c.costs.cost("PING") == 0);
  CHECK(c.costs.cost("GET") == 2);
  CHECK(c.costs.cost(std::string(500, 'x')) == 2);
  CHECK(c.allow.size() == 4);
}

TEST_CASE("ratelimit options: malformed values are refused naming the key",
          "[ratelimit][options]") {
  CHECK(refusal({{"colour", "blue"}}) == "unknown option 'colour'");
  CHECK(refusal({{"commands_per_second_per_connection", "-5"}}) ==
        "option 'commands_per_second_per_connection' must be a number from 0 to 1e9, not '-5'");
  CHECK(refusal({{"commands_per_second_per_principal", "fast"}}).find("not 'fast'") !=
        std::string::npos);
  CHECK(refusal({{"bytes_per_second_per_connection", "inf"}}).find("must be a number") !=
        std::string::npos);
  CHECK(refusal({{"connections_per_ip", "-1"}}) ==
        "option 'connections_per_ip' must be a whole number from 0 to 1000000, not '-1'");
  CHECK(refusal({{"ban_ms", "0"}}).find("option 'ban_ms' must be a whole number from 1") == 0);
  CHECK(refusal({{"ipv6_prefix", "129"}}).find("option 'ipv6_prefix'") == 0);
  CHECK(refusal({{"max_tracked_ips", "0"}}).find("option 'max_tracked_ips'") == 0);
  CHECK(refusal({{"commands_burst_per_connection", "5"}}) ==
        "option 'commands_burst_per_connection' needs 'commands_per_second_per_connection' "
        "above 0");
  CHECK(
      refusal({{"commands_per_second_per_connection", "5"}, {"commands_burst_per_connection", "0"}})
          .find("option 'commands_burst_per_connection' must be a whole number from 1") == 0);
  CHECK(refusal({{"ban_ms", "5000"}, {"ban_max_ms", "1000"}}) ==
        "option 'ban_max_ms' must be at least 'ban_ms'");
  CHECK(refusal({{"ban_table", ""}}) == "option 'ban_table' must be 1 to 64 characters");
  CHECK(refusal({{"connections_per_ip", "1"}, {"connections_per_ip", "2"}}) ==
        "option 'connections_per_ip' given twice");
}

TEST_CASE("ratelimit options: bad command costs are refused", "[ratelimit][options]") {
  CHECK(refusal({{"command_costs", "scan"}}) ==
        "option 'command_costs': 'scan' is not name=cost with a cost from 0 to 1000000");
  CHECK(refusal({{"command_costs", "scan=-1"}}).find("'scan=-1' is not name=cost") !=
        std::string::npos);
  CHECK(refusal({{"command_costs", "=5"}}).find("'=5' is not name=cost") != std::string::npos);
  CHECK(refusal({{"command_costs", "sc an=5"}}).find("is not name=cost") != std::string::npos);
  CHECK(refusal({{"command_costs", "scan=2000000"}}).find("is not name=cost") != std::string::npos);
  CHECK(refusal({{"command_costs", "scan=1,SCAN=2"}}) ==
        "option 'command_costs' names 'SCAN' twice");
}

TEST_CASE("ratelimit options: bad allow-list entries are refused", "[ratelimit][options]") {
  CHECK(refusal({{"allow", "10.0.0.0/33"}}) ==
        "allow: '10.0.0.0/33' is not an IP address or CIDR range (like 10.0.0.0/8 or fd00::/8)");
  CHECK(refusal({{"allow", "127.0.0.1, banana"}}).find("allow: 'banana' is not an IP") == 0);
  CHECK(refusal({{"allow", "300.1.1.1"}}).find("allow: '300.1.1.1' is not") == 0);
  CHECK(refusal({{"allow", "fd00::/129"}}).find("allow: 'fd00::/129' is not") == 0);
  CHECK(refusal({{"allow", "10.0.0.1/8"}}) ==
        "allow: '10.0.0.1/8' has bits set past its prefix (did you mean 10.0.0.0/8?)");
  CHECK(refusal({{"allow", "fd00::1/8"}}) ==
        "allow: 'fd00::1/8' has bits set past its prefix (did you mean fd00::/8?)");
  CHECK(refusal({{"allow", "10.0.0.0/"}}).find("is not an IP address") != std::string::npos);
}

}  // namespace keepdb::ratelimit::test
