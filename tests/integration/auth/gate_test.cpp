// Owns the authentication gate and the ways in: NOAUTH before AUTH, the commands allowed
// before it (HELLO, QUIT; PING gets NOAUTH as in Redis), a valid token through `redis-cli -a`, `AUTH name token` and
// `HELLO 3 AUTH name token`, Redis's exact WRONGPASS text, and AUTH's argument count.
#include <catch2/catch.hpp>

#include "tests/integration/auth/auth_keepd.h"
#include "tests/integration/auth/auth_support.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"

namespace keepdb::integration::auth {
namespace {

// A keepd with the token plugin and the standard principals, started.
struct TokenNode {
  TokenNode() : node(standard_setup()) { node.start(); }
  AuthKeepd node;
};

// redis-cli authenticating with `token` (and --user `user` when given) before `command`.
ProgramResult cli_with_token(std::uint16_t port, const std::string& token,
                             const std::vector<std::string>& command,
                             const std::string& user = "") {
  std::vector<std::string> args{"--no-auth-warning", "-a", token};
  if (!user.empty()) args.insert(args.begin(), {"--user", user});
  args.insert(args.end(), command.begin(), command.end());
  return RedisCli(port).run(args, CliOutput::kRaw);
}

TEST_CASE("auth: gate: GET, SET and INFO answer NOAUTH before AUTH", "[auth][gate]") {
  TokenNode t;
  RawClient client(t.node.port());
  CHECK(error_of(client.command({"GET", "gate:key"})) == kNoAuth);
  CHECK(error_of(client.command({"SET", "gate:key", "written-before-auth"})) == kNoAuth);
  CHECK(error_of(client.command({"INFO"})) == kNoAuth);
  CHECK(error_of(client.command({"INFO", "server"})) == kNoAuth);

  // The same connection, once authenticated, runs them: the gate was the only obstacle,
  // and the refused SET wrote nothing.
  REQUIRE(auth(client, {kOps.token}).text == "OK");
  CHECK(client.command({"GET", "gate:key"}).null);
  CHECK(client.command({"INFO", "server"}).type == '$');
}

TEST_CASE("auth: gate: HELLO and QUIT are answered before AUTH and PING is not",
          "[auth][gate]") {
  TokenNode t;
  RawClient client(t.node.port());
  // As in Redis, PING is behind the gate: a liveness probe learns that the node is up
  // and wants authentication.
  CHECK(error_of(client.command({"PING"})) == kNoAuth);
  CHECK(error_of(client.command({"PING", "hello"})) == kNoAuth);
  // HELLO runs (it is not the generic NOAUTH gate): without AUTH it answers Redis's own
  // HELLO-specific NOAUTH and keeps the protocol unchanged.
  const std::string hello_error = error_of(client.command({"HELLO", "3"}));
  CHECK(
      hello_error.starts_with("NOAUTH HELLO must be called with the client already "
                              "authenticated"));
  CHECK(client.command({"QUIT"}).text == "OK");
  CHECK(client.wait_closed());

  // The refused HELLO 3 left the protocol at RESP2: once authenticated, a missing key is
  // RESP2's null bulk string, not RESP3's null.
  RawClient other(t.node.port());
  CHECK(other.command({"HELLO", "3"}).type == '-');
  REQUIRE(auth(other, {kOps.token}).text == "OK");
  CHECK(other.command({"PING"}).text == "PONG");
  const RespValue missing = other.command({"GET", "gate:missing"});
  CHECK(missing.null);
  CHECK(missing.type == '$');
}

TEST_CASE("auth: login: redis-cli -a with a valid token runs commands", "[auth][token]") {
  TokenNode t;
  const std::uint16_t port = t.node.port();
  ProgramResult set = cli_with_token(port, kOps.token, {"SET", "cli:key", "cli-value"});
  CHECK(set.status.exited_normally(0));
  CHECK(set.out == "OK\n");
  CHECK(cli_with_token(port, kOps.token, {"GET", "cli:key"}).out == "cli-value\n");
  // --user NAME -a TOKEN sends AUTH NAME TOKEN.
  CHECK(cli_with_token(port, kOps.token, {"GET", "cli:key"}, kOps.name).out == "cli-value\n");
  // Without -a the same command meets the gate (redis-cli --raw ends an error with a blank
  // line).
  CHECK(RedisCli(port).run({"GET", "cli:key"}, CliOutput::kRaw).out.starts_with(kNoAuth));
}

TEST_CASE("auth: login: AUTH token, AUTH name token and AUTH default token authenticate",
          "[auth][token]") {
  TokenNode t;
  const std::vector<std::vector<std::string>> forms{
      {kOps.token}, {kOps.name, kOps.token}, {"default", kOps.token}};
  for (const auto& form : forms) {
    CAPTURE(form);
    RawClient client(t.node.port());
    CHECK(auth(client, form).text == "OK");
    CHECK(client.command({"SET", "auth:key", "v"}).text == "OK");
  }
}

TEST_CASE("auth: login: HELLO 3 AUTH name token answers a RESP3 map and authenticates",
          "[auth][token][hello]") {
  TokenNode t;
  RawClient client(t.node.port());
  const RespValue hello =
      client.command({"HELLO", "3", "AUTH", kOps.name, kOps.token, "SETNAME", "dash-1"});
  REQUIRE(hello.type == '%');
  CHECK(map_value(hello, "server").value_or(RespValue{}).text == "keepdb");
  CHECK(map_value(hello, "proto").value_or(RespValue{}).integer == 3);
  CHECK(map_value(hello, "id").has_value());
  // Authenticated, and now speaking RESP3: a missing key is RESP3's null.
  const RespValue missing = client.command({"GET", "hello:missing"});
  CHECK(missing.type == '_');
  CHECK(client.command({"SET", "hello:key", "v"}).text == "OK");
  CHECK(client.command({"CLIENT", "GETNAME"}).text == "dash-1");  // SETNAME applied too

  // HELLO 3 AUTH with a wrong token changes nothing on a fresh connection.
  RawClient other(t.node.port());
  CHECK(error_of(other.command({"HELLO", "3", "AUTH", kOps.name, "wrong-token-0123456789"})) ==
        kWrongPass);
  CHECK(error_of(other.command({"GET", "hello:key"})) == kNoAuth);
  REQUIRE(auth(other, {kOps.token}).text == "OK");
  CHECK(other.command({"GET", "hello:missing"}).type == '$');  // still RESP2
}

TEST_CASE("auth: login: wrong credentials get Redis's exact WRONGPASS text and no hint",
          "[auth][token]") {
  TokenNode t;
  RawClient client(t.node.port());
  // A wrong token, a known name with a wrong token, a known token under another principal's
  // name, an unknown name: one and the same reply, so a client learns nothing about which
  // part was wrong.
  const std::vector<std::vector<std::string>> attempts{
      {std::string(kUnknownToken)},
      {kOps.name, std::string(kUnknownToken)},
      {kDashboard.name, kOps.token},
      {"nobody", std::string(kUnknownToken)},
      {"short"},
  };
  for (const auto& attempt : attempts) {
    CAPTURE(attempt);
    CHECK(error_of(auth(client, attempt)) == kWrongPass);
  }
  CHECK(error_of(client.command({"GET", "k"})) == kNoAuth);  // still not authenticated

  // redis-cli with a wrong -a: the AUTH failure, then the command meets the gate.
  const ProgramResult cli = cli_with_token(t.node.port(), std::string(kUnknownToken), {"GET", "k"});
  CHECK(cli.err == "AUTH failed: " + std::string(kWrongPass) + "\n");
  CHECK(cli.out.starts_with(kNoAuth));
}

TEST_CASE("auth: login: commands pipelined behind AUTH run with its outcome",
          "[auth][token][pipeline]") {
  TokenNode t;
  // One write each: AUTH then commands. The chain answers AUTH later, on another thread;
  // the commands behind it must wait for that answer, not be judged before it.
  RawClient accepted(t.node.port());
  const std::vector<RespValue> ok = accepted.pipeline(
      {{"AUTH", kOps.token}, {"SET", "pipe:key", "v"}, {"GET", "pipe:key"}, {"PING"}});
  REQUIRE(ok.size() == 4);
  CHECK(ok[0].text == "OK");
  CHECK(ok[1].text == "OK");
  CHECK(ok[2].text == "v");
  CHECK(ok[3].text == "PONG");

  RawClient rejected(t.node.port());
  const std::vector<RespValue> refused = rejected.pipeline({{"AUTH", std::string(kUnknownToken)},
                                                            {"GET", "pipe:key"},
                                                            {"AUTH", kDashboard.token},
                                                            {"GET", "pipe:key"},
                                                            {"SET", "pipe:key", "w"}});
  REQUIRE(refused.size() == 5);
  CHECK(error_of(refused[0]) == kWrongPass);
  CHECK(error_of(refused[1]) == kNoAuth);
  CHECK(refused[2].text == "OK");
  CHECK(refused[3].text == "v");
  CHECK(error_of(refused[4]).starts_with("NOPERM User dashboard "));
}

TEST_CASE("auth: login: AUTH with too many arguments is a syntax error", "[auth][token]") {
  TokenNode t;
  RawClient client(t.node.port());
  CHECK(error_of(auth(client, {kOps.name, kOps.token, "extra"})) == kSyntaxError);
  CHECK(error_of(auth(client, {kOps.name, kOps.token, "extra", "more"})) == kSyntaxError);
  CHECK(error_of(client.command({"AUTH"})) == "ERR wrong number of arguments for 'auth' command");
  CHECK(error_of(client.command({"GET", "k"})) == kNoAuth);  // none of them authenticated
  CHECK(auth(client, {kOps.name, kOps.token}).text == "OK");
}

}  // namespace
}  // namespace keepdb::integration::auth
