// Post-abuse checks shared by the limit and malformed-input tests.
#include "tests/integration/limits/survival.h"

#include <catch2/catch.hpp>

namespace keepdb::integration {

namespace {

constexpr const char* kWitnessKey = "witness";
constexpr const char* kWitnessValue = "written before the abuse";

}  // namespace

void write_witness(std::uint16_t port) {
  RawClient client(port);
  REQUIRE(client.command({"SET", kWitnessKey, kWitnessValue}).text == "OK");
}

void check_still_serving(std::uint16_t port) {
  RawClient client(port);
  CHECK(client.command({"PING"}).text == "PONG");
  CHECK(client.command({"GET", kWitnessKey}).text == kWitnessValue);
}

void check_error_then_close(RawClient& client, const std::string& error) {
  const RespValue reply = client.read_reply();
  CHECK(reply.type == '-');
  CHECK(reply.text == error);
  CHECK(client.wait_closed());
}

}  // namespace keepdb::integration
