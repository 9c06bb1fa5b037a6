// Tests for admit(): unknown commands and wrong arity worded as Redis 7 words them, the
// authentication gate (only AUTH HELLO QUIT before AUTH), role checks (NOPERM) by what
// a reply reveals and what a command changes, for read-only, write-only and read+write
// principals, SET's GET option decided from the arguments, docs/authorization.md agreeing
// with the command table, validation errors of writes, the one arity check (commands and
// subcommands), and which commands are keyspace reads (the ones a read barrier protects).
#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
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

TEST_CASE("the arity check follows Redis's convention with an optional upper bound",
          "[dispatcher]") {
  using keepdb::commands::arity_error;
  CHECK_FALSE(arity_error("get", 2, 2));
  CHECK(arity_error("get", 2, 3) == "ERR wrong number of arguments for 'get' command");
  CHECK(arity_error("get", 2, 1) == "ERR wrong number of arguments for 'get' command");
  CHECK_FALSE(arity_error("set", -3, 3));
  CHECK_FALSE(arity_error("set", -3, 7));
  CHECK(arity_error("set", -3, 2) == "ERR wrong number of arguments for 'set' command");
  // PING takes at most one argument; subcommands are named "command|subcommand".
  CHECK_FALSE(arity_error("ping", -1, 2, 2));
  CHECK(arity_error("ping", -1, 3, 2) == "ERR wrong number of arguments for 'ping' command");
  CHECK(arity_error("client|setname", 3, 2) ==
        "ERR wrong number of arguments for 'client|setname' command");
}

TEST_CASE("keyspace reads are the immediate read commands that reply from keys", "[dispatcher]") {
  std::vector<std::string_view> reads;
  for (const auto* spec : command_table().all()) {
    CAPTURE(spec->name);
    if (spec->reads_keyspace) {
      reads.push_back(spec->name);
      // WATCH reads keys to remember them but reveals nothing: it needs no role.
      CHECK(spec->access == (spec->name == "watch" ? keepdb::commands::Access::kAnyone
                                                   : keepdb::commands::Access::kRead));
      CHECK((spec->execute != nullptr || !spec->subcommands.empty()));
      CHECK_FALSE(spec->proposes());
    } else {
      // A command that reads keys and changes nothing is always one.
      CHECK_FALSE((spec->keys.first > 0 && spec->access == keepdb::commands::Access::kRead));
    }
  }
  CHECK(reads == std::vector<std::string_view>{
                     "get",    "strlen",     "mget",       "getrange", "substr", "lcs",
                     "getbit", "bitcount",   "bitpos",     "exists",   "touch",  "type",
                     "object", "keys",       "randomkey",  "dbsize",   "scan",   "ttl",
                     "pttl",   "expiretime", "pexpiretime", "memory", "watch"});
}

TEST_CASE("a container command's subcommand is found and its arity checked at admission",
          "[dispatcher]") {
  const Admission list = admit_request({"client", "LiSt"}, session_with("default", 7));
  REQUIRE(list.spec != nullptr);
  REQUIRE(list.subcommand != nullptr);
  CHECK(list.subcommand->name == "list");
  std::string name;
  keepdb::commands::name_request(*list.spec, list.subcommand, name);
  CHECK(name == "client|list");

  CHECK(outcome({"object", "nosuch", "k"}) == "ERR unknown subcommand 'nosuch'. Try OBJECT HELP.");
  CHECK(outcome({"config", std::string(200, 'x')}) ==
        "ERR unknown subcommand '" + std::string(128, 'x') + "'. Try CONFIG HELP.");
  CHECK(outcome({"object", "help", "k"}) ==
        "ERR wrong number of arguments for 'object|help' command");
  CHECK(outcome({"OBJECT", "ENCODING"}) ==
        "ERR wrong number of arguments for 'object|encoding' command");
  CHECK(outcome({"memory", "usage"}) == "ERR wrong number of arguments for 'memory|usage' command");
  CHECK(outcome({"command", "count", "x"}) ==
        "ERR wrong number of arguments for 'command|count' command");
  CHECK(outcome({"object"}) == "ERR wrong number of arguments for 'object' command");

  // COMMAND alone runs the container itself.
  const Admission command = admit_request({"COMMAND"}, session_with("default", 7));
  REQUIRE(command.spec != nullptr);
  CHECK(command.subcommand == nullptr);
  CHECK(command.spec->execute != nullptr);
  // Every subcommand has its execute and is admitted with the arguments its arity asks.
  for (const auto* spec : command_table().all()) {
    for (const auto& subcommand : spec->subcommands) {
      CAPTURE(spec->name, subcommand.name);
      CHECK(subcommand.execute != nullptr);
      std::vector<std::string> request = minimal_request(spec->name, subcommand.arity);
      request[1] = std::string(subcommand.name);
      CHECK(outcome(request) == "admitted");
    }
  }
}

TEST_CASE("commands are found case-insensitively", "[dispatcher]") {
  CHECK(outcome({"gEt", "k"}) == "admitted");
  CHECK(outcome({"PING"}) == "admitted");
}

TEST_CASE("before AUTH only AUTH HELLO QUIT are admitted, the rest reply NOAUTH",
          "[dispatcher][auth]") {
  const Session anonymous = session_with("default", keepdb::commands::kAllRoles, false);
  int before_auth = 0;
  for (const auto* spec : command_table().all()) {
    CAPTURE(spec->name);
    const auto request = minimal_request(spec->name, spec->arity);
    const Admission admission = admit_request(request, anonymous);
    if (spec->name == "auth" || spec->name == "hello" || spec->name == "quit") {
      CHECK(admission.spec == spec);
      ++before_auth;
    } else {
      CHECK(admission.spec == nullptr);
      CHECK(admission.error == "NOAUTH Authentication required.");
      CHECK_FALSE(admission.denied);
    }
  }
  CHECK(before_auth == 3);
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
  // FLUSHDB changes data, so admin alone is not enough: it needs write as well.
  CHECK(outcome({"FLUSHDB"}, session_with("ops", kRoleAdmin)) ==
        "NOPERM User ops has no permissions to run the 'flushdb' command");
  CHECK(outcome({"FLUSHDB"}, session_with("ops", kRoleWrite | kRoleAdmin)) == "admitted");
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

namespace {

using keepdb::commands::kRoleAdmin;
using keepdb::commands::kRoleRead;
using keepdb::commands::kRoleWrite;

std::string noperm(std::string_view principal, std::string_view command) {
  return "NOPERM User " + std::string(principal) + " has no permissions to run the '" +
         std::string(command) + "' command";
}

// What a read-only, a write-only and a read+write principal may run.
struct RoleCase {
  std::vector<std::string> request;
  bool read_only, write_only, read_write;  // admitted?
};

}  // namespace

TEST_CASE("a reply that reveals a stored value needs read, a change needs write",
          "[dispatcher][roles]") {
  const auto c = GENERATE(values<RoleCase>({
      // Reads: the reply is a value, a length, existence or a deadline.
      {{"GET", "k"}, true, false, true},
      {{"MGET", "a", "b"}, true, false, true},
      {{"STRLEN", "k"}, true, false, true},
      {{"EXISTS", "k"}, true, false, true},
      {{"TTL", "k"}, true, false, true},
      {{"PEXPIRETIME", "k"}, true, false, true},
      {{"SCAN", "0"}, true, false, true},
      {{"DBSIZE"}, true, false, true},
      // Writes whose reply is OK or metadata only.
      {{"SET", "k", "v"}, false, true, true},
      {{"SET", "k", "v", "NX", "EX", "10"}, false, true, true},
      {{"SET", "k", "get"}, false, true, true},  // "get" is the value, not the option
      {{"SET", "get", "v"}, false, true, true},  // nor the key
      {{"SETNX", "k", "v"}, false, true, true},
      {{"SETEX", "k", "10", "v"}, false, true, true},
      {{"MSET", "k", "v", "get", "v"}, false, true, true},
      {{"APPEND", "k", "v"}, false, true, true},
      {{"DEL", "k"}, false, true, true},
      {{"EXPIRE", "k", "10"}, false, true, true},
      {{"PERSIST", "k"}, false, true, true},
      // Writes whose reply reveals the stored value.
      {{"SET", "k", "v", "GET"}, false, false, true},
      {{"SET", "k", "v", "get"}, false, false, true},
      {{"SET", "k", "v", "XX", "GET", "PX", "100"}, false, false, true},
      {{"GETSET", "k", "v"}, false, false, true},
      {{"GETDEL", "k"}, false, false, true},
      {{"GETEX", "k"}, false, false, true},
      {{"GETEX", "k", "EX", "10"}, false, false, true},
      {{"GETEX", "k", "PERSIST"}, false, false, true},
      {{"INCR", "k"}, false, false, true},
      {{"DECR", "k"}, false, false, true},
      {{"INCRBY", "k", "5"}, false, false, true},
      {{"DECRBY", "k", "5"}, false, false, true},
      // Admin.
      {{"FLUSHDB"}, false, false, false},
      {{"KEEPDB.MEMBERS"}, false, false, false},
  }));
  CAPTURE(c.request);
  std::string name = c.request[0];
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const std::vector<std::pair<Session, bool>> sessions = {
      {session_with("reader", kRoleRead), c.read_only},
      {session_with("ingest", kRoleWrite), c.write_only},
      {session_with("app", kRoleRead | kRoleWrite), c.read_write},
  };
  for (const auto& [session, allowed] : sessions) {
    CAPTURE(session.principal);
    const Admission admission = admit_request(c.request, session);
    if (allowed) {
      CHECK(admission.spec != nullptr);
      CHECK(admission.error.empty());
    } else {
      CHECK(admission.spec == nullptr);
      CHECK(admission.denied);
      CHECK(admission.error == noperm(session.principal, name));
    }
  }
  // Every role together runs anything that passes validation.
  CHECK(admit_request(c.request, session_with("ops", kRoleRead | kRoleWrite | kRoleAdmin)).spec !=
        nullptr);
}

TEST_CASE("SET's GET option is decided before validation, from the arguments alone",
          "[dispatcher][roles]") {
  const Session ingest = session_with("ingest", kRoleWrite);
  // A request with GET anywhere among the options needs read, even if it would fail
  // validation later: the denial never depends on more than the arguments.
  CHECK(outcome({"SET", "k", "v", "EX", "get"}, ingest) == noperm("ingest", "set"));
  CHECK(outcome({"SET", "k", "v", "EX", "get"}, session_with("app", kRoleRead | kRoleWrite)) ==
        "ERR value is not an integer or out of range");
  const auto* set = command_table().find("set");
  REQUIRE(set != nullptr);
  const std::vector<std::string_view> plain = {"SET", "k", "v"};
  const std::vector<std::string_view> with_get = {"SET", "k", "v", "Get"};
  CHECK(set->access_for(plain) == keepdb::commands::Access::kWrite);
  CHECK(set->access_for(with_get) == keepdb::commands::Access::kReadWrite);
}

TEST_CASE("docs/authorization.md lists every command with the roles of the command table",
          "[dispatcher][roles][docs]") {
  std::ifstream file(std::string(KEEPDB_SOURCE_DIR) + "/docs/authorization.md");
  REQUIRE(file);
  // Rows "| `NAME` | roles | why |" after the "## The table" heading.
  std::map<std::string, std::string> documented;
  bool in_table = false;
  for (std::string line; std::getline(file, line);) {
    if (line.rfind("## ", 0) == 0) in_table = line == "## The table";
    if (!in_table || line.rfind("| `", 0) != 0) continue;
    const auto name_end = line.find("` |", 3);
    REQUIRE(name_end != std::string::npos);
    const auto roles_end = line.find(" |", name_end + 3);
    REQUIRE(roles_end != std::string::npos);
    const std::string name = line.substr(3, name_end - 3);
    CHECK(documented.count(name) == 0);
    documented[name] = line.substr(name_end + 4, roles_end - name_end - 4);
  }
  auto roles_text = [](keepdb::commands::Access access) {
    std::string text;
    for (std::string_view role : keepdb::commands::role_names(access)) {
      if (!text.empty()) text += ", ";
      text += role;
    }
    return text.empty() ? std::string("none") : text;
  };
  auto upper = [](std::string_view text) {
    std::string out(text);
    for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return out;
  };
  std::size_t rows = 0;
  for (const auto* spec : command_table().all()) {
    const std::string name = upper(spec->name);
    CAPTURE(name);
    REQUIRE(documented.count(name) == 1);
    CHECK(documented[name] == roles_text(spec->access));
    ++rows;
    if (!spec->access_option.name.empty()) {
      const std::string row = name + " ... " + upper(spec->access_option.name);
      CAPTURE(row);
      REQUIRE(documented.count(row) == 1);
      CHECK(documented[row] == roles_text(spec->access_option.access));
      ++rows;
    }
  }
  CHECK(documented.size() == rows);  // no row for a command the table does not have
}
