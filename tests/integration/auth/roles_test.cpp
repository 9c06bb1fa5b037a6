// Owns authorization by role end to end: a read-only principal can read but its write gets
// -NOPERM, which is logged as a denial naming the client, principal and command (never the
// token); FLUSHDB needs admin.
#include <catch2/catch.hpp>

#include "tests/integration/auth/auth_keepd.h"
#include "tests/integration/auth/auth_support.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration::auth {
namespace {

// Redis 7's NOPERM text for a command outside the user's permissions.
std::string noperm(std::string_view principal, std::string_view command) {
  return "NOPERM User " + std::string(principal) + " has no permissions to run the '" +
         std::string(command) + "' command";
}

// A client authenticated as `grant` on `node`.
std::unique_ptr<RawClient> signed_in(const AuthKeepd& node, const Grant& grant) {
  auto client = std::make_unique<RawClient>(node.port());
  REQUIRE(auth(*client, {grant.name, grant.token}).text == "OK");
  return client;
}

TEST_CASE("auth: roles: a read-only principal can GET, its SET gets NOPERM and is logged",
          "[auth][roles]") {
  AuthKeepd node(standard_setup());
  node.start();
  REQUIRE(signed_in(node, kOps)->command({"SET", "roles:key", "original"}).text == "OK");

  auto dashboard = signed_in(node, kDashboard);
  CHECK(dashboard->command({"GET", "roles:key"}).text == "original");
  CHECK(dashboard->command({"EXISTS", "roles:key"}).integer == 1);
  CHECK(error_of(dashboard->command({"SET", "roles:key", "changed"})) ==
        noperm(kDashboard.name, "set"));
  CHECK(error_of(dashboard->command({"DEL", "roles:key"})) == noperm(kDashboard.name, "del"));
  CHECK(dashboard->command({"GET", "roles:key"}).text == "original");  // nothing written

  REQUIRE(node.wait_for_log("denied: client id="));
  const std::string log = node.log();
  const std::string denial =
      line_with(log, {"denied: client id=", "principal=dashboard", "command=SET"});
  CHECK_FALSE(denial.empty());
  CHECK(denial.find(kDashboard.token) == std::string::npos);
  CHECK(log.find(kDashboard.token) == std::string::npos);
}

TEST_CASE("auth: roles: FLUSHDB needs the admin role", "[auth][roles]") {
  AuthKeepd node(standard_setup());
  node.start();
  auto ops = signed_in(node, kOps);
  REQUIRE(ops->command({"SET", "roles:kept", "v"}).text == "OK");

  for (const Grant* grant : {&kWriter, &kDashboard}) {
    CAPTURE(grant->name);
    CHECK(error_of(signed_in(node, *grant)->command({"FLUSHDB"})) ==
          noperm(grant->name, "flushdb"));
  }
  CHECK(ops->command({"DBSIZE"}).integer == 1);  // the refused FLUSHDBs removed nothing
  CHECK(signed_in(node, kWriter)->command({"SET", "roles:written", "w"}).text == "OK");
  CHECK(ops->command({"FLUSHDB"}).text == "OK");
  CHECK(ops->command({"DBSIZE"}).integer == 0);
}

TEST_CASE("auth: roles: AUTH again switches the principal, a failed AUTH keeps it",
          "[auth][roles]") {
  AuthKeepd node(standard_setup());
  node.start();
  auto client = signed_in(node, kOps);
  REQUIRE(client->command({"SET", "roles:key", "v"}).text == "OK");

  // Down to read-only: the next write is refused under the new principal's name.
  CHECK(auth(*client, {kDashboard.name, kDashboard.token}).text == "OK");
  CHECK(error_of(client->command({"SET", "roles:key", "w"})) == noperm(kDashboard.name, "set"));
  // A failed AUTH neither signs the connection out nor changes its principal (as Redis).
  CHECK(error_of(auth(*client, {kOps.name, std::string(kUnknownToken)})) == kWrongPass);
  CHECK(client->command({"GET", "roles:key"}).text == "v");
  CHECK(error_of(client->command({"SET", "roles:key", "w"})) == noperm(kDashboard.name, "set"));
  // Back up to admin.
  CHECK(auth(*client, {kOps.token}).text == "OK");
  CHECK(client->command({"SET", "roles:key", "w"}).text == "OK");
}

}  // namespace
}  // namespace keepdb::integration::auth
