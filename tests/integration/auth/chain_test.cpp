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
  // One line per failed attempt (the gateway's WARN), not a second one from the chain.
  CHECK(node->log().find("authentication refused") == std::string::npos);
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

// The slow fixture blocks each call well beyond the chain's 2 s deadline.
constexpr std::uint64_t kSlowCallMs = 4000;

std::unique_ptr<AuthKeepd> started_slow() {
  AuthSetup setup = standard_setup({Provider::kSlowAuth, Provider::kTokens});
  setup.slow_auth_sleep_ms = kSlowCallMs;
  auto node = std::make_unique<AuthKeepd>(std::move(setup));
  node->start();
  return node;
}

TEST_CASE("auth: chain: a slow authenticator does not block other clients and times out",
          "[auth][chain][slow]") {
  auto node = started_slow();
  RawClient waiting(node->port());
  const auto sent = Clock::now();
  REQUIRE(waiting.send(encode_command({"AUTH", kOps.token})));

  // While that AUTH is pending, a second client is served at once, repeatedly.
  RawClient other(node->port());
  for (int i = 0; i < 5; ++i) {
    CHECK(error_of(other.command({"PING"}, 1s)) == kNoAuth);
    CHECK(error_of(other.command({"GET", "k"}, 1s)) == kNoAuth);
  }
  CHECK_FALSE(reply_arrived(waiting));

  // The chain's deadline answers the waiting client while the plugin call still sleeps.
  const RespValue verdict = waiting.read_reply(10s);
  const auto waited = Clock::now() - sent;
  CHECK(error_of(verdict) == kWrongPass);
  CHECK(waited >= 1500ms);
  CHECK(waited < milliseconds(kSlowCallMs));
  CHECK(node->wait_for_log("deadline of 2000 ms passed waiting for plugin 'slow'"));
  CHECK(error_of(waiting.command({"GET", "k"})) == kNoAuth);
  CHECK(error_of(other.command({"PING"})) == kNoAuth);
  // A graceful stop waits for the sleeping plugin call, then exits cleanly.
  CHECK(node->stop().exited_normally(0));
}

TEST_CASE("auth: chain: a client that leaves while its AUTH is pending does no harm",
          "[auth][chain][slow]") {
  auto node = started_slow();
  {
    // Closed right after the send: TCP delivers the request before the close, so keepd
    // starts the attempt and then finds the connection gone.
    RawClient leaving(node->port());
    REQUIRE(leaving.send(encode_command({"AUTH", kOps.token}) + encode_command({"GET", "k"})));
  }
  // The attempt ends after the client has gone; its answer has nowhere to go.
  CHECK(node->wait_for_log("deadline of 2000 ms passed", 10s));
  RawClient after(node->port());
  CHECK(error_of(after.command({"PING"})) == kNoAuth);
  CHECK(node->running());
  CHECK(node->stop().exited_normally(0));
}

TEST_CASE("auth: chain: unknown tokens stuck in a slow plugin do not lock out valid tokens",
          "[auth][chain][slow]") {
  // tokens first: a valid token is decided by it at once. Unknown tokens defer to the slow
  // plugin, whose calls each hold one of the chain's plugin-call threads for 4 s.
  // FAILS today (server bug found by this suite): the blocked calls occupy the chain's whole
  // pool (AuthChainOptions::threads = 2), the valid attempt queues behind them, and its 2 s
  // deadline answers WRONGPASS ("deadline of 2000 ms passed waiting for plugin 'tokens'").
  // Two unauthenticated connections are enough to lock every client out.
  AuthSetup setup = standard_setup({Provider::kTokens, Provider::kSlowAuth});
  setup.slow_auth_sleep_ms = kSlowCallMs;
  AuthKeepd node(std::move(setup));
  node.start();

  // Two already hold every plugin-call thread the chain has today; more, so that a larger
  // pool alone does not hide the problem.
  constexpr int kStuck = 8;
  std::vector<std::unique_ptr<RawClient>> stuck;
  for (int i = 0; i < kStuck; ++i) {
    stuck.push_back(std::make_unique<RawClient>(node.port()));
    REQUIRE(stuck.back()->send(encode_command({"AUTH", std::string(kUnknownToken)})));
  }
  RawClient valid(node.port());
  REQUIRE(error_of(valid.command({"PING"})) == kNoAuth);  // the stuck attempts are under way

  const auto sent = Clock::now();
  const RespValue verdict = valid.command({"AUTH", kOps.token});
  const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - sent);
  CAPTURE(waited.count());
  CHECK(verdict.text == "OK");
  CHECK(waited < 1000ms);
}

TEST_CASE("auth: chain: many clients authenticating at once each get their own answer",
          "[auth][chain]") {
  AuthKeepd node(standard_setup());
  node.start();
  constexpr int kClients = 64;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(node.port()));
    const Grant& grant = i % 2 == 0 ? kDashboard : kWriter;
    const std::string token = i % 3 == 0 ? std::string(kUnknownToken) : grant.token;
    REQUIRE(clients.back()->send(encode_command({"AUTH", token})));
  }
  for (int i = 0; i < kClients; ++i) {
    CAPTURE(i);
    const RespValue reply = clients[static_cast<std::size_t>(i)]->read_reply();
    const RespValue write = clients[static_cast<std::size_t>(i)]->command({"SET", "k", "v"});
    if (i % 3 == 0) {
      CHECK(error_of(reply) == kWrongPass);
      CHECK(error_of(write) == kNoAuth);
    } else if (i % 2 == 0) {
      CHECK(reply.text == "OK");
      CHECK(error_of(write) == "NOPERM User dashboard has no permissions to run the 'set' command");
    } else {
      CHECK(reply.text == "OK");
      CHECK(write.text == "OK");
    }
  }
}

}  // namespace
}  // namespace keepdb::integration::auth
