// keepd plugins test, the plugin test harness, run as a process: against the built
// auth-token plugin with a temporary secrets file (accept, reject, defer, one line each,
// --expect deciding the exit code, the secret never printed, a bad option refused at
// create), and against misbehaving fixtures (an ABI the loader refuses, a plugin writing
// past a host buffer), each reported with a non-zero exit.
#include <catch2/catch.hpp>

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
        "load: ok: auth-token 0.1.0, ABI 1.1\n"
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
