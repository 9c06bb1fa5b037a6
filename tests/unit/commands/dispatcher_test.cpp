// Tests for admit(): unknown commands and wrong arity worded as Redis 7 words them, the
// authentication gate (only AUTH HELLO PING QUIT before AUTH), role checks (NOPERM), and
// validation errors of writes.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/command_table.h"
#include "kernel/commands/dispatcher.h"
#include "kernel/commands/session.h"

using keepdb::commands::Admission;
using keepdb::commands::admit;
using keepdb::commands::command_table;
using keepdb::commands::Session;

namespace {

Session session_with(std::string principal, std::uint32_t roles, bool authenticated = true) {
  Session session;
  session.principal = std::move(principal);
  session.roles = roles;
  session.authenticated = authenticated;
  return session;
}

Admission admit_request(std::vector<std::string> request, const Session& session) {
  const std::vector<std::string_view> args(request.begin(), request.end());
  return admit(args, session);
}

// The error admit() gives, or "admitted".
std::string outcome(std::vector<std::string> request,
                    const Session& session = session_with("default", keepdb::commands::kAllRoles)) {
  const Admission admission = admit_request(std::move(request), session);
  return admission.spec != nullptr ? "admitted" : admission.error;
}

// Arguments that satisfy `arity` for a command named `name` (a valid key and value).
std::vector<std::string> minimal_request(std::string_view name, int arity) {
  std::vector<std::string> request = {std::string(name)};
  const int argc = arity < 0 ? -arity : arity;
  while (static_cast<int>(request.size()) < argc) request.push_back("x");
  return request;
}

}  // namespace

TEST_CASE("an unknown command replies Redis's text with its first arguments", "[dispatcher]") {
  CHECK(outcome({"foo", "a", "b"}) ==
        "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
  CHECK(outcome({"FOO"}) == "ERR unknown command 'FOO', with args beginning with: ");
  CHECK(outcome({""}) == "ERR unknown command '', with args beginning with: ");
}

TEST_CASE("an unknown command's name and arguments are cut at 128 bytes like Redis",
          "[dispatcher]") {
  const std::string name(200, 'n');
  CHECK(outcome({name}) ==
        "ERR unknown command '" + name.substr(0, 128) + "', with args beginning with: ");
  // Redis appends "'<arg>' " while the argument list is under 128 bytes, each argument cut
  // to the room left: 100 x's (102 bytes + space), then 25 y's, then nothing more.
  const std::string x(100, 'x'), y(100, 'y');
  CHECK(outcome({"foo", x, y, "z"}) == "ERR unknown command 'foo', with args beginning with: '" +
                                           x + "' '" + y.substr(0, 25) + "' ");
}

TEST_CASE("wrong arity replies with the lowercase command name", "[dispatcher]") {
  CHECK(outcome({"GET"}) == "ERR wrong number of arguments for 'get' command");
  CHECK(outcome({"Get", "a", "b"}) == "ERR wrong number of arguments for 'get' command");
  CHECK(outcome({"set", "k"}) == "ERR wrong number of arguments for 'set' command");
  CHECK(outcome({"DBSIZE", "x"}) == "ERR wrong number of arguments for 'dbsize' command");
  CHECK(outcome({"EXISTS"}) == "ERR wrong number of arguments for 'exists' command");
}

TEST_CASE("commands are found case-insensitively", "[dispatcher]") {
  CHECK(outcome({"gEt", "k"}) == "admitted");
  CHECK(outcome({"PING"}) == "admitted");
}

TEST_CASE("before AUTH only AUTH HELLO PING QUIT are admitted, the rest reply NOAUTH",
          "[dispatcher][auth]") {
  const Session anonymous = session_with("default", keepdb::commands::kAllRoles, false);
  int before_auth = 0;
  for (const auto* spec : command_table().all()) {
    CAPTURE(spec->name);
    const auto request = minimal_request(spec->name, spec->arity);
    const Admission admission = admit_request(request, anonymous);
    if (spec->name == "auth" || spec->name == "hello" || spec->name == "ping" ||
        spec->name == "quit") {
      CHECK(admission.spec == spec);
      ++before_auth;
    } else {
      CHECK(admission.spec == nullptr);
      CHECK(admission.error == "NOAUTH Authentication required.");
      CHECK_FALSE(admission.denied);
    }
  }
  CHECK(before_auth == 4);
}

TEST_CASE("before AUTH an unknown command or wrong arity also replies NOAUTH",
          "[dispatcher][auth]") {
  // KeepDB reveals nothing about its command table before authentication (Redis 7 would
  // report the unknown command and the arity).
  const Session anonymous = session_with("default", keepdb::commands::kAllRoles, false);
  CHECK(outcome({"foo", "a"}, anonymous) == "NOAUTH Authentication required.");
  CHECK(outcome({"GET"}, anonymous) == "NOAUTH Authentication required.");
}

TEST_CASE("a read-only principal gets NOPERM for SET but may GET", "[dispatcher][roles]") {
  const Session reader = session_with("reader", keepdb::commands::kRoleRead);
  const Admission set = admit_request({"SET", "k", "v"}, reader);
  CHECK(set.spec == nullptr);
  CHECK(set.denied);
  CHECK(set.error == "NOPERM User reader has no permissions to run the 'set' command");
  CHECK(outcome({"GET", "k"}, reader) == "admitted");
  CHECK(outcome({"SCAN", "0"}, reader) == "admitted");
  CHECK(outcome({"DEL", "k"}, reader) ==
        "NOPERM User reader has no permissions to run the 'del' command");
}

TEST_CASE("a principal without the admin role gets NOPERM for FLUSHDB", "[dispatcher][roles]") {
  using keepdb::commands::kRoleAdmin;
  using keepdb::commands::kRoleRead;
  using keepdb::commands::kRoleWrite;
  const Admission denied = admit_request({"FLUSHDB"}, session_with("app", kRoleRead | kRoleWrite));
  CHECK(denied.denied);
  CHECK(denied.error == "NOPERM User app has no permissions to run the 'flushdb' command");
  CHECK(outcome({"SET", "k", "v"}, session_with("app", kRoleRead | kRoleWrite)) == "admitted");
  CHECK(outcome({"FLUSHDB"}, session_with("ops", kRoleAdmin)) == "admitted");
}

TEST_CASE("a principal with no roles may still run connection commands", "[dispatcher][roles]") {
  const Session nobody = session_with("nobody", 0);
  CHECK(outcome({"PING"}, nobody) == "admitted");
  CHECK(outcome({"GET", "k"}, nobody) ==
        "NOPERM User nobody has no permissions to run the 'get' command");
}

TEST_CASE("arity is checked before roles, roles before write validation", "[dispatcher]") {
  const Session reader = session_with("reader", keepdb::commands::kRoleRead);
  CHECK(outcome({"SET", "k"}, reader) == "ERR wrong number of arguments for 'set' command");
  CHECK(outcome({"SET", "k", "v", "BOGUS"}, reader) ==
        "NOPERM User reader has no permissions to run the 'set' command");
  const Admission invalid =
      admit_request({"SET", "k", "v", "BOGUS"}, session_with("w", keepdb::commands::kAllRoles));
  CHECK(invalid.error == "ERR syntax error");
  CHECK_FALSE(invalid.denied);
}
