// Owns the authenticator chain as a real keepd runs it: config order decides (a reject
// ends the chain, a defer asks the next, all-defer rejects), and a slow authenticator is
// asked off the network thread, so other clients are served while it runs and the chain's
// deadline answers the waiting client with WRONGPASS.
#include <catch2/catch.hpp>

#include "tests/integration/auth/auth_keepd.h"
#include "tests/integration/auth/auth_support.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration::auth {
namespace {

// A started keepd with the standard principals behind `chain`.
std::unique_ptr<AuthKeepd> started(std::vector<Provider> chain) {
  auto node = std::make_unique<AuthKeepd>(standard_setup(std::move(chain)));
  node->start();
  return node;
}

TEST_CASE("auth: chain: deny_all before tokens rejects a valid token", "[auth][chain]") {
  auto node = started({Provider::kDenyAll, Provider::kTokens});
  RawClient client(node->port());
  CHECK(error_of(auth(client, {kOps.token})) == kWrongPass);
  CHECK(error_of(auth(client, {kOps.name, kOps.token})) == kWrongPass);
  CHECK(error_of(client.command({"GET", "k"})) == kNoAuth);
  CHECK(node->wait_for_log("authentication failed for client id="));
}

TEST_CASE("auth: chain: defer_all before tokens lets the tokens plugin accept", "[auth][chain]") {
  auto node = started({Provider::kDeferAll, Provider::kTokens});
  RawClient client(node->port());
  CHECK(auth(client, {kDashboard.token}).text == "OK");
  // The principal is the one the tokens plugin found: its name and its read-only role.
  CHECK(client.command({"GET", "k"}).null);
  CHECK(error_of(client.command({"SET", "k", "v"})).starts_with("NOPERM User dashboard "));
  CHECK(node->wait_for_log("as principal=dashboard by tokens"));
}

TEST_CASE("auth: chain: the tokens plugin alone rejects an unknown token", "[auth][chain]") {
  auto node = started({Provider::kTokens});
  RawClient client(node->port());
  CHECK(error_of(auth(client, {std::string(kUnknownToken)})) == kWrongPass);
  CHECK(error_of(client.command({"GET", "k"})) == kNoAuth);
}

TEST_CASE("auth: chain: defer_all alone rejects every token", "[auth][chain]") {
  auto node = started({Provider::kDeferAll});
  RawClient client(node->port());
  CHECK(error_of(auth(client, {kOps.token})) == kWrongPass);
  CHECK(error_of(client.command({"GET", "k"})) == kNoAuth);
}

TEST_CASE("auth: chain: a slow authenticator does not block other clients and times out",
          "[auth][chain][slow]") {
  // The fixture blocks each call far beyond the chain's 2 s deadline.
  AuthSetup setup = standard_setup({Provider::kSlowAuth, Provider::kTokens});
  setup.slow_auth_sleep_ms = 8000;
  AuthKeepd node(std::move(setup));
  node.start();

  RawClient waiting(node.port());
  const auto sent = Clock::now();
  REQUIRE(waiting.send(encode_command({"AUTH", kOps.token})));

  // While that AUTH is pending, a second client is served at once, repeatedly.
  RawClient other(node.port());
  for (int i = 0; i < 5; ++i) {
    CHECK(other.command({"PING"}, 1s).text == "PONG");
    CHECK(error_of(other.command({"GET", "k"}, 1s)) == kNoAuth);
  }
  CHECK_FALSE(reply_arrived(waiting));

  // The chain's deadline answers the waiting client; the plugin call is still sleeping.
  const RespValue verdict = waiting.read_reply(10s);
  const auto waited = Clock::now() - sent;
  CHECK(error_of(verdict) == kWrongPass);
  CHECK(waited >= 1500ms);
  CHECK(waited < 8000ms);
  CHECK(node.wait_for_log("deadline of 2000 ms passed"));
  CHECK(error_of(waiting.command({"GET", "k"})) == kNoAuth);
  CHECK(other.command({"PING"}).text == "PONG");
}

}  // namespace
}  // namespace keepdb::integration::auth
