// Owns the promise that a configured token never leaves the server: through one session
// that authenticates (AUTH, HELLO AUTH, inline AUTH, redis-cli -a), fails (wrong token, a
// known token under another name, the token sent as the username, too many arguments, a
// malformed inline AUTH), gets NOPERM, and runs the commands that describe connections and
// the server, the whole keepd log (at debug level, through a clean shutdown) and every
// reply are scanned for the tokens.
#include <catch2/catch.hpp>

#include "tests/integration/auth/auth_keepd.h"
#include "tests/integration/auth/auth_support.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"

namespace keepdb::integration::auth {
namespace {

// A raw client that keeps every byte it received, for the scan.
class RecordingClient {
 public:
  RecordingClient(std::uint16_t port, std::string& transcript)
      : client_(port), transcript_(transcript) {}

  RespValue command(const std::vector<std::string>& args) {
    REQUIRE(client_.send(encode_command(args)));
    return read();
  }
  // Sends raw bytes (an inline command) and returns the reply.
  RespValue send_raw(std::string_view bytes) {
    REQUIRE(client_.send(bytes));
    return read();
  }
  RawClient& raw() { return client_; }

 private:
  RespValue read() {
    const std::string bytes = client_.read_reply_bytes();
    transcript_ += bytes;
    return decode_reply(bytes);
  }

  RawClient client_;
  std::string& transcript_;
};

// The first 12-byte piece of `secret` (a whole or truncated leak) found in `text`, or "".
std::string leaked_piece(const std::string& text, const std::string& secret) {
  constexpr std::size_t kPiece = 12;
  for (std::size_t at = 0; at + kPiece <= secret.size(); ++at) {
    const std::string piece = secret.substr(at, kPiece);
    if (text.find(piece) != std::string::npos) return piece;
  }
  return {};
}

TEST_CASE("auth: secrecy: the configured tokens never appear in any log line or reply",
          "[auth][secrecy]") {
  const ScopedEnv debug_log("KEEPDB_LOG_LEVEL", "debug");
  AuthKeepd node(standard_setup());
  node.start();
  std::string transcript;
  RecordingClient ops(node.port(), transcript);
  RecordingClient dashboard(node.port(), transcript);

  // Failures first: each must leave the connection unauthenticated.
  CHECK(error_of(ops.command({"GET", "k"})) == kNoAuth);
  CHECK(error_of(ops.command({"AUTH", std::string(kUnknownToken)})) == kWrongPass);
  CHECK(error_of(ops.command({"AUTH", kDashboard.name, kOps.token})) == kWrongPass);
  CHECK(error_of(ops.command({"AUTH", kOps.token, kDashboard.token})) == kWrongPass);
  CHECK(error_of(ops.command({"AUTH", kOps.name, kOps.token, kOps.token})) == kSyntaxError);
  CHECK(error_of(ops.command({"HELLO", "3", "AUTH", kOps.token, "x"})) == kWrongPass);
  CHECK(error_of(ops.command({"SET", kOps.token, kOps.token})) == kNoAuth);

  // Success, in each form, and the commands that describe clients and the server.
  CHECK(ops.send_raw("AUTH " + kOps.token + "\r\n").text == "OK");
  CHECK(ops.command({"HELLO", "3", "AUTH", kOps.name, kOps.token}).type == '%');
  CHECK(ops.command({"SET", "secrecy:key", "value"}).text == "OK");
  CHECK_FALSE(ops.command({"CLIENT", "INFO"}).is_error());
  CHECK_FALSE(ops.command({"INFO"}).is_error());

  // A read-only principal denied a write and an admin command.
  CHECK(dashboard.command({"AUTH", kDashboard.name, kDashboard.token}).text == "OK");
  CHECK(error_of(dashboard.command({"SET", "secrecy:key", "x"})).starts_with("NOPERM"));
  CHECK(error_of(dashboard.command({"FLUSHDB"})).starts_with("NOPERM"));

  // redis-cli, right and wrong.
  const RedisCli cli(node.port());
  for (const std::string& token : {kOps.token, std::string(kUnknownToken)}) {
    const ProgramResult run =
        cli.run({"--no-auth-warning", "-a", token, "GET", "secrecy:key"}, CliOutput::kRaw);
    transcript += run.out + run.err;
  }

  // A malformed inline AUTH: a protocol error that closes the connection.
  RecordingClient malformed(node.port(), transcript);
  CHECK(malformed.send_raw("AUTH \"" + kOps.token + "\r\n").is_error());
  CHECK(malformed.raw().wait_closed());

  CHECK(node.stop().exited_normally(0));
  const std::string log = node.log();
  REQUIRE(log.find("authenticated client id=") != std::string::npos);  // the session happened
  REQUIRE(log.find("denied: client id=") != std::string::npos);
  for (const Grant* grant : {&kOps, &kDashboard}) {
    CAPTURE(grant->name);
    const std::string in_log = leaked_piece(log, grant->token);
    CHECK(in_log == "");
    CHECK((in_log.empty() ? "" : line_with(log, {in_log})) == "");  // the leaking line
    CHECK(leaked_piece(transcript, grant->token) == "");
  }
}

}  // namespace
}  // namespace keepdb::integration::auth
