// Owns authorization by role end to end: a read-only principal can read but its write gets
// -NOPERM, which is logged as a denial naming the client, principal and command (never the
// token); a write-only principal can store but cannot read a value through a write (SET ...
// GET, GETSET, GETDEL, GETEX, INCR), and the refused command changes nothing; FLUSHDB and
// CLIENT LIST/KILL/NO-EVICT need admin; COMMAND DOCS shows the roles.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

TEST_CASE("auth: roles: FLUSHDB needs the admin role (and write)", "[auth][roles]") {
  AuthKeepd node(standard_setup());
  node.start();
  auto ops = signed_in(node, kOps);
  REQUIRE(ops->command({"SET", "roles:kept", "v"}).text == "OK");

  for (const Grant* grant : {&kWriter, &kDashboard, &kIngest}) {
    CAPTURE(grant->name);
    CHECK(error_of(signed_in(node, *grant)->command({"FLUSHDB"})) ==
          noperm(grant->name, "flushdb"));
  }
  CHECK(ops->command({"DBSIZE"}).integer == 1);  // the refused FLUSHDBs removed nothing
  CHECK(signed_in(node, kWriter)->command({"SET", "roles:written", "w"}).text == "OK");
  CHECK(ops->command({"FLUSHDB"}).text == "OK");
  CHECK(ops->command({"DBSIZE"}).integer == 0);
}

TEST_CASE("auth: roles: CLIENT LIST KILL and NO-EVICT need the admin role",
          "[auth][roles]") {
  AuthKeepd node(standard_setup());
  node.start();
  auto ops = signed_in(node, kOps);
  auto writer = signed_in(node, kWriter);
  const std::string ops_id = std::to_string(ops->command({"CLIENT", "ID"}).integer);
  CHECK(error_of(writer->command({"CLIENT", "LIST"})) == noperm(kWriter.name, "client|list"));
  CHECK(error_of(writer->command({"CLIENT", "KILL", "ID", ops_id})) ==
        noperm(kWriter.name, "client|kill"));
  CHECK(error_of(writer->command({"CLIENT", "NO-EVICT", "on"})) ==
        noperm(kWriter.name, "client|no-evict"));
  // What concerns only the caller needs no role; the refused KILL closed nothing.
  CHECK(writer->command({"CLIENT", "INFO"}).text.find(" user=writer ") != std::string::npos);
  CHECK(ops->command({"CLIENT", "LIST"}).text.find(" user=writer ") != std::string::npos);
  CHECK(ops->command({"CLIENT", "KILL", "USER", "writer"}).integer == 1);
  CHECK(writer->wait_closed());
}

TEST_CASE("auth: roles: a write-only principal cannot read values through a write",
          "[auth][roles]") {
  AuthKeepd node(standard_setup());
  node.start();
  auto ops = signed_in(node, kOps);
  REQUIRE(ops->command({"SET", "roles:secret", "original"}).text == "OK");
  REQUIRE(ops->command({"SET", "roles:count", "41"}).text == "OK");

  auto ingest = signed_in(node, kIngest);
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"GET", "roles:secret"}, "get"},
      {{"SET", "roles:secret", "changed", "GET"}, "set"},
      {{"SET", "roles:secret", "changed", "EX", "100", "get"}, "set"},
      {{"GETSET", "roles:secret", "changed"}, "getset"},
      {{"GETDEL", "roles:secret"}, "getdel"},
      {{"GETEX", "roles:secret"}, "getex"},
      {{"GETEX", "roles:secret", "EX", "100"}, "getex"},
      {{"INCR", "roles:count"}, "incr"},
      {{"INCRBY", "roles:count", "10"}, "incrby"},
      {{"DECR", "roles:count"}, "decr"},
  };
  for (const auto& [request, name] : refused) {
    CAPTURE(request);
    CHECK(error_of(ingest->command(request)) == noperm(kIngest.name, name));
  }
  // Nothing the refused commands would have done happened: same values, no TTL.
  CHECK(ops->command({"GET", "roles:secret"}).text == "original");
  CHECK(ops->command({"TTL", "roles:secret"}).integer == -1);
  CHECK(ops->command({"GET", "roles:count"}).text == "41");

  // Writes that reveal no value still work for it.
  CHECK(ingest->command({"SET", "roles:ingested", "v1"}).text == "OK");
  CHECK(ingest->command({"SET", "roles:ingested", "v2", "XX", "EX", "100"}).text == "OK");
  CHECK(ingest->command({"APPEND", "roles:ingested", "+"}).integer == 3);
  CHECK(ingest->command({"MSET", "roles:a", "1", "roles:b", "2"}).text == "OK");
  CHECK(ingest->command({"DEL", "roles:a"}).integer == 1);
  CHECK(ops->command({"GET", "roles:ingested"}).text == "v2+");

  // Read and write together: the old value comes back.
  CHECK(ops->command({"SET", "roles:secret", "next", "GET"}).text == "original");
  CHECK(ops->command({"GETSET", "roles:secret", "last"}).text == "next");
  CHECK(ops->command({"INCR", "roles:count"}).integer == 42);
  // Read alone does not let GETEX or INCR through: they write.
  auto dashboard = signed_in(node, kDashboard);
  CHECK(error_of(dashboard->command({"GETEX", "roles:secret"})) ==
        noperm(kDashboard.name, "getex"));
  CHECK(error_of(dashboard->command({"INCR", "roles:count"})) == noperm(kDashboard.name, "incr"));

  REQUIRE(node.wait_for_log("command=GETSET"));
  CHECK_FALSE(
      line_with(node.log(), {"denied: client id=", "principal=ingest", "command=GETSET"}).empty());
  CHECK(node.log().find(kIngest.token) == std::string::npos);
}

TEST_CASE("auth: roles: COMMAND DOCS shows the roles each command needs", "[auth][roles]") {
  AuthKeepd node(standard_setup());
  node.start();
  auto client = signed_in(node, kIngest);  // COMMAND needs no role
  const RespValue docs = client->command({"COMMAND", "DOCS", "get", "set", "getset", "ping"});
  auto roles = [&](std::string_view command) {
    std::vector<std::string> names;
    const auto doc = map_value(docs, command);
    REQUIRE(doc);
    const auto listed = map_value(*doc, "acl_roles");
    REQUIRE(listed);
    for (const RespValue& role : listed->elements) names.push_back(role.text);
    return names;
  };
  CHECK(roles("get") == std::vector<std::string>{"read"});
  CHECK(roles("set") == std::vector<std::string>{"write"});
  CHECK(roles("getset") == std::vector<std::string>{"read", "write"});
  CHECK(roles("ping").empty());
  const auto set_doc = map_value(docs, "set");
  REQUIRE(set_doc);
  const auto with_options = map_value(*set_doc, "acl_roles_with_options");
  REQUIRE(with_options);
  const auto with_get = map_value(*with_options, "GET");
  REQUIRE(with_get);
  REQUIRE(with_get->elements.size() == 2);
  CHECK(with_get->elements[0].text == "read");
  CHECK(with_get->elements[1].text == "write");
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
