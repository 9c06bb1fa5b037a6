// keepd plugins test, the plugin test harness, run as a process: against the built
// auth-token plugin with a temporary secrets file (accept, reject, defer, one line each,
// --expect deciding the exit code, the secret never printed, a bad option refused at
// create), the ratelimit and admission plugins (--admit), the audit plugin (--record), the
// frame transport fixture (--transport), the misbehaviour checks (--checks) passing on the
// project's plugins and failing on misbehaving fixtures, and against fixtures the loader
// refuses or that write past a host buffer, each reported with a non-zero exit.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/integration/harness/keepd_process.h"

using namespace keepdb::integration;

namespace {

ProgramResult keepd(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  std::vector<std::string> argv = {keepd_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, stdin_text, kStartTimeout);
}

ProgramResult plugins_test(const std::string& library, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"plugins", "test", library};
  argv.insert(argv.end(), args.begin(), args.end());
  return keepd(argv);
}

const std::string kToken = "harness-test-token-0123456789";
const std::string kWrongToken = "harness-wrong-token-987654321";

// A directory holding `tokens`, a secrets file (mode 0600) giving kToken to bob.
struct SecretsDir {
  SecretsDir() : dir("cli-plugins-test") {
    const ProgramResult hash = keepd({"token", "hash"}, kToken);
    REQUIRE(hash.status.exited_normally(0));
    write_file(dir / "tokens", hash.out.substr(0, 64) + " read,write bob\n");
    std::filesystem::permissions(
        dir / "tokens", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  // The arguments creating auth-token with the relative secrets file resolved against `dir`.
  std::vector<std::string> options() const {
    return {"--config-dir", dir.path().string(), "--option", "secrets_file=tokens"};
  }

  TempDir dir;
};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_CASE("plugins test drives auth-token: accept, reject and defer, one line each",
          "[cli][plugins-test]") {
  const SecretsDir secrets;
  const ProgramResult result =
      plugins_test(KEEPDB_AUTH_TOKEN_SO,
                   with(secrets.options(),
                        {"--auth", kToken, "--auth", "bob:" + kWrongToken, "--auth", kWrongToken,
                         "--expect", "accept", "--expect", "reject", "--expect", "defer"}));
  INFO(result.out << result.err);
  CHECK(result.status.exited_normally(0));
  CHECK(result.out ==
        "load: ok: auth-token 0.1.0, ABI 1.1, authenticator\n"
        "create: ok: secrets_file=tokens\n"
        "auth 1: accept principal bob roles read,write\n"
        "auth 2: reject: plugin 'test' (auth-token) rejected: wrong token for a known user\n"
        "auth 3: defer: plugin 'test' (auth-token) deferred: no matching token\n");
  for (const std::string& secret : {kToken, kWrongToken}) {
    CHECK(result.out.find(secret) == std::string::npos);
    CHECK(result.err.find(secret) == std::string::npos);
  }
}

TEST_CASE("plugins test exits 1 when an --expect does not match", "[cli][plugins-test]") {
  const SecretsDir secrets;
  const ProgramResult result =
      plugins_test(KEEPDB_AUTH_TOKEN_SO,
                   with(secrets.options(), {"--auth", "bob:" + kWrongToken, "--expect", "accept"}));
  CHECK(result.status.exited_normally(1));
  CHECK(result.out.find("auth 1: reject: plugin 'test' (auth-token) rejected: wrong token for a "
                        "known user (expected accept)\n") != std::string::npos);
}

TEST_CASE("plugins test exits 1 when create refuses the options", "[cli][plugins-test]") {
  const ProgramResult result =
      plugins_test(KEEPDB_AUTH_TOKEN_SO, {"--option", "secret_fil=tokens", "--auth", kToken});
  CHECK(result.status.exited_normally(1));
  CHECK(result.out.find("create: plugin 'test' (auth-token): unknown option 'secret_fil'") !=
        std::string::npos);
  CHECK(result.out.find("auth 1:") == std::string::npos);
}

TEST_CASE("plugins test reports a library the loader refuses", "[cli][plugins-test]") {
  const ProgramResult result = plugins_test(KEEPDB_WRONG_ABI_SO, {"--auth", kToken});
  CHECK(result.status.exited_normally(1));
  CHECK(result.out == "load: ABI mismatch: plugin declares ABI major 2; this host speaks 1\n");
}

TEST_CASE("plugins test reports a plugin writing past a host buffer", "[cli][plugins-test]") {
  const ProgramResult result = plugins_test(
      KEEPDB_OVERFLOW_SO, {"--option", "target=name", "--auth", "x:y", "--expect", "accept"});
  CHECK(result.status.exited_normally(1));
  CHECK(result.out.find("auth 1: fail: plugin 'test' (overflow) wrote past the end of the "
                        "principal name buffer (256 bytes); plugin disabled (expected accept)\n") !=
        std::string::npos);
}

TEST_CASE("plugins test refuses a malformed --option or --expect with exit 2",
          "[cli][plugins-test]") {
  CHECK(plugins_test(KEEPDB_AUTH_TOKEN_SO, {"--option", "no-equals"}).status.exited_normally(2));
  CHECK(plugins_test(KEEPDB_AUTH_TOKEN_SO, {"--auth", kToken, "--expect", "maybe"})
            .status.exited_normally(2));
  CHECK(plugins_test(KEEPDB_AUTH_TOKEN_SO, {"--auth", kToken, "--auth", kToken, "--expect",
                                            "accept", "--expect", "reject", "--expect", "defer"})
            .status.exited_normally(2));
}

TEST_CASE("plugins test drives an admission plugin: admitted and denied with its retry hint",
          "[cli][plugins-test]") {
  const ProgramResult result = plugins_test(
      KEEPDB_ADMISSION_SO,
      {"--option", "deny_every=3", "--option", "retry_ms=250", "--admit", "connect", "--admit",
       "command:get", "--admit", "command:set", "--admit", "tick", "--admit", "command:get",
       "--admit", "disconnect", "--expect-admit", "admitted", "--expect-admit", "admitted",
       "--expect-admit", "admitted", "--expect-admit", "admitted", "--expect-admit", "denied",
       "--expect-admit", "admitted"});
  INFO(result.out << result.err);
  CHECK(result.status.exited_normally(0));
  CHECK(result.out.find("load: ok: admission-fixture 0.0.1, ABI 1.1, admission\n") == 0);
  CHECK(result.out.find("admit 1: admitted\n"
                        "admit 2: admitted\n"
                        "admit 3: admitted\n"
                        "admit 4: tick\n"
                        "admit 5: denied, retry in 250 ms\n"
                        "admit 6: admitted\n") != std::string::npos);
  // A denial expected as admitted fails the run; so does a plugin that throws in check.
  const ProgramResult mismatch = plugins_test(
      KEEPDB_ADMISSION_SO, {"--option", "deny_every=1", "--admit", "command:get",
                            "--expect-admit", "admitted"});
  CHECK(mismatch.status.exited_normally(1));
  CHECK(mismatch.out.find("admit 1: denied, retry in 250 ms (expected admitted)\n") !=
        std::string::npos);
  const ProgramResult thrown =
      plugins_test(KEEPDB_ADMISSION_SO, {"--option", "mode=throw", "--admit", "command:get"});
  CHECK(thrown.status.exited_normally(1));
  CHECK(thrown.out.find("admit 1: fail: plugin 'test' (admission-fixture) failed a command "
                        "check: threw an exception through the ABI") != std::string::npos);
}

TEST_CASE("plugins test drives the ratelimit plugin per connection", "[cli][plugins-test]") {
  const ProgramResult result = plugins_test(
      KEEPDB_RATELIMIT_SO,
      {"--option", "commands_per_second_per_connection=1", "--option",
       "commands_burst_per_connection=2", "--admit", "connect", "--admit", "command:get",
       "--admit", "command:get", "--admit", "command:get", "--expect-admit", "admitted",
       "--expect-admit", "admitted", "--expect-admit", "admitted", "--expect-admit", "denied"});
  INFO(result.out << result.err);
  CHECK(result.status.exited_normally(0));
}

TEST_CASE("plugins test records audit events through the audit plugin", "[cli][plugins-test]") {
  TempDir dir("cli-plugins-test-audit");
  const ProgramResult result = plugins_test(
      KEEPDB_AUDIT_SO, {"--config-dir", dir.path().string(), "--option", "sink=file", "--option",
                        "path=audit.jsonl", "--principal", "bob", "--record",
                        "write:set:admitted:key=greeting", "--record", "auth_fail:auth:failed",
                        "--record", "7"});
  INFO(result.out << result.err);
  CHECK(result.status.exited_normally(0));
  CHECK(result.out.find("record 1: ok\nrecord 2: ok\nrecord 3: ok\nflush: ok\n") !=
        std::string::npos);
  std::ifstream file(dir / "audit.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find("\"principal\":\"bob\",\"command\":\"set\",\"key\":\"greeting\"") !=
        std::string::npos);
  CHECK(lines[1].find("\"kind\":\"auth_fail\"") != std::string::npos);
  CHECK(lines[1].find("\"outcome\":\"failed\"") != std::string::npos);
  CHECK(lines[2].find("\"kind\":\"write\",\"kind_id\":7") != std::string::npos);
}

TEST_CASE("plugins test drives a transport session through handshake and frames",
          "[cli][plugins-test]") {
  // The frame fixture's protocol (tests/plugin_abi/fixtures/transport_frame/frame_codec.h):
  // a hello line, then 4-byte lengths and bytes XOR 0x5a ("\x0a\x13\x14\x1d" is "PING").
  const ProgramResult result = plugins_test(
      KEEPDB_TRANSPORT_FRAME_SO,
      {"--transport", "feed:FRAME1 ann\\n", "--transport",
       "feed:\\x00\\x00\\x00\\x04\\x0a\\x13\\x14\\x1d", "--transport", "send:+PONG",
       "--transport", "close"});
  INFO(result.out << result.err);
  CHECK(result.status.exited_normally(0));
  CHECK(result.out.find("transport 1: feed 11 bytes, took 11; to peer 10 bytes "
                        "\"FRAME1 OK\\x0a\"; plaintext 0 bytes \"\"") != std::string::npos);
  CHECK(result.out.find("transport: established, peer ") != std::string::npos);
  CHECK(result.out.find("transport 2: feed 8 bytes, took 8; to peer 0 bytes \"\"; plaintext 4 "
                        "bytes \"PING\"") != std::string::npos);
  CHECK(result.out.find("transport 3: send 5 bytes, took 5; to peer 9 bytes "
                        "\"\\x00\\x00\\x00\\x05q\\x0a\\x15\\x14\\x1d\"") !=
        std::string::npos);
  CHECK(result.out.find("transport 4: close; to peer 4 bytes \"\\x00\\x00\\x00\\x00\"") !=
        std::string::npos);

  // A hello the fixture refuses fails the session, and the run.
  const ProgramResult refused =
      plugins_test(KEEPDB_TRANSPORT_FRAME_SO, {"--transport", "feed:HELLO\\n"});
  CHECK(refused.status.exited_normally(1));
  CHECK(refused.out.find("transport 1: feed 6 bytes, took 0: fail: plugin 'test' "
                         "(transport-frame)") != std::string::npos);
}

TEST_CASE("plugins test --checks passes on the project's plugins", "[cli][plugins-test]") {
  const SecretsDir secrets;
  TempDir dir("cli-plugins-test-checks");
  const std::vector<std::pair<std::string, std::vector<std::string>>> plugins = {
      {KEEPDB_AUTH_TOKEN_SO, secrets.options()},
      {KEEPDB_RATELIMIT_SO, {"--option", "commands_per_second_per_connection=1000"}},
      {KEEPDB_AUDIT_SO,
       {"--config-dir", dir.path().string(), "--option", "sink=file", "--option",
        "path=audit.jsonl"}},
      {KEEPDB_ADMISSION_SO, {}},
      {KEEPDB_TRANSPORT_FRAME_SO, {}},
  };
  for (const auto& [library, options] : plugins) {
    INFO(library);
    const ProgramResult result = plugins_test(library, with(options, {"--checks"}));
    INFO(result.out << result.err);
    CHECK(result.status.exited_normally(0));
    CHECK(result.out.find("check create: a second instance beside the first (as a reload "
                          "does): ok\n") != std::string::npos);
    CHECK(result.out.find(": FAIL") == std::string::npos);
    CHECK(result.out.find("check no secret in an error message or log line: ok\n") !=
          std::string::npos);
  }
}

TEST_CASE("plugins test --checks fails on a plugin that throws or writes past a buffer",
          "[cli][plugins-test]") {
  const ProgramResult thrown = plugins_test(KEEPDB_ADMISSION_SO, {"--option", "mode=throw", "--checks"});
  CHECK(thrown.status.exited_normally(1));
  CHECK(thrown.out.find("check admission: empty, binary and 64-byte command names: FAIL: failed: "
                        "plugin 'test' (admission-fixture) failed a command check: threw an "
                        "exception through the ABI") != std::string::npos);
  const ProgramResult overflow =
      plugins_test(KEEPDB_OVERFLOW_SO, {"--option", "target=error", "--checks"});
  CHECK(overflow.status.exited_normally(1));
  CHECK(overflow.out.find("check auth: empty secret: FAIL: answered fail: plugin 'test' (overflow) "
                          "wrote past the end of the error buffer (1024 bytes); plugin disabled") !=
        std::string::npos);
}

TEST_CASE("plugins test refuses inputs for a kind the plugin lacks and malformed inputs",
          "[cli][plugins-test]") {
  const ProgramResult lacking = plugins_test(KEEPDB_AUTH_TOKEN_SO, {"--admit", "connect"});
  CHECK(lacking.status.exited_normally(1));
  CHECK(lacking.out.find("inputs: the plugin is no admission\n") != std::string::npos);
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--admit", "connected"},
           {"--admit", "command"},
           {"--admit", "connect:x"},
           {"--admit", "connect", "--expect-admit", "maybe"},
           {"--record", "nokind"},
           {"--transport", "feed:\\q"},
           {"--transport", "feed:\\x4"},
           {"--transport", "jump"},
           {"--transport", "feed-file:/nonexistent/keepdb-input"}}) {
    INFO(bad.front() << " " << bad[1]);
    CHECK(plugins_test(KEEPDB_ADMISSION_SO, bad).status.exited_normally(2));
  }
}
