// Owns tokens a careless or hostile client sends: a 10,000-byte token (over the plugin's
// 4096-byte limit, so refused without hashing even when its hash is listed) and tokens with
// NUL bytes (binary-safe end to end: the whole byte string is the token, over a raw socket
// and through `keepd token hash`). The server stays up and keeps serving in every case.
#include <catch2/catch.hpp>

#include "tests/integration/auth/auth_keepd.h"
#include "tests/integration/auth/auth_support.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration::auth {
namespace {

using namespace std::string_literals;

// `length` bytes of a repeating, non-uniform pattern.
std::string long_token(std::size_t length) {
  std::string token;
  token.reserve(length);
  for (std::size_t i = 0; token.size() < length; ++i) token += static_cast<char>('a' + i * 7 % 26);
  return token;
}

// Asserts the node still serves: a new client authenticates with a valid token and writes.
void check_still_serving(const AuthKeepd& node) {
  RawClient fresh(node.port());
  CHECK(error_of(fresh.command({"PING"})) == kNoAuth);
  CHECK(auth(fresh, {kOps.token}).text == "OK");
  CHECK(fresh.command({"SET", "hostile:alive", "yes"}).text == "OK");
}

TEST_CASE("auth: tokens: a 10,000-byte token is rejected cleanly and the server stays up",
          "[auth][hostile]") {
  const std::string huge = long_token(10'000);
  AuthSetup setup = standard_setup();
  setup.grants.push_back({huge, "read,write,admin", "huge"});  // listed, yet over the limit
  AuthKeepd node(std::move(setup));
  node.start();

  RawClient client(node.port());
  CHECK(error_of(auth(client, {huge})) == kWrongPass);
  CHECK(error_of(auth(client, {"huge", huge})) == kWrongPass);
  CHECK(error_of(client.command({"HELLO", "3", "AUTH", "huge", huge})) == kWrongPass);
  CHECK(error_of(client.command({"GET", "k"})) == kNoAuth);
  // The same connection still works, and can still authenticate properly.
  CHECK(error_of(client.command({"PING"})) == kNoAuth);
  CHECK(auth(client, {kOps.token}).text == "OK");
  check_still_serving(node);
  CHECK(node.running());
}

TEST_CASE("auth: tokens: the length limits are 16 and 4096 bytes, both inclusive",
          "[auth][hostile]") {
  const std::string shortest = long_token(16), too_short = long_token(15);
  const std::string longest = long_token(4096), too_long = long_token(4097);
  AuthSetup setup = standard_setup();
  for (const std::string* token : {&shortest, &too_short, &longest, &too_long}) {
    setup.grants.push_back({*token, "read", ""});  // every one listed
  }
  AuthKeepd node(std::move(setup));
  node.start();

  RawClient client(node.port());
  CHECK(error_of(auth(client, {too_short})) == kWrongPass);
  CHECK(error_of(auth(client, {too_long})) == kWrongPass);
  CHECK(error_of(client.command({"GET", "k"})) == kNoAuth);
  CHECK(auth(client, {shortest}).text == "OK");
  CHECK(auth(client, {longest}).text == "OK");
  // Unnamed lines name the principal after the hash: token:<first 8 hex digits>.
  CHECK(error_of(client.command({"SET", "k", "v"})) ==
        "NOPERM User token:" + token_hash(longest).substr(0, 8) +
            " has no permissions to run the 'set' command");
}

TEST_CASE("auth: tokens: NUL bytes are part of the token over a raw socket", "[auth][hostile]") {
  // NULs in the middle, with more than the minimum length on either side, so a server that
  // cut the token at the first NUL would hash a plausible token of its own.
  const std::string token = "nul-prefix-0123456789\0middle\0\0suffix-abcdef"s;
  const std::string before_nul = token.substr(0, token.find('\0'));
  std::string changed_after_nul = token;
  changed_after_nul.back() = 'X';
  AuthSetup setup = standard_setup();
  setup.grants.push_back({token, "read", "binary"});
  AuthKeepd node(std::move(setup));
  node.start();

  RawClient client(node.port());
  CHECK(error_of(auth(client, {before_nul})) == kWrongPass);
  CHECK(error_of(auth(client, {changed_after_nul})) == kWrongPass);
  CHECK(error_of(auth(client, {token + "\0"s})) == kWrongPass);
  CHECK(error_of(client.command({"GET", "k"})) == kNoAuth);
  CHECK(auth(client, {token}).text == "OK");
  CHECK(auth(client, {"binary", token}).text == "OK");
  CHECK(client.command({"GET", "k"}).null);
  CHECK(error_of(client.command({"SET", "k", "v"})).starts_with("NOPERM User binary "));
  check_still_serving(node);
}

TEST_CASE("auth: tokens: keepd token hash reads NUL bytes from stdin", "[auth][hostile][cli]") {
  const std::string token = "stdin-token-0123\0with-nul\0"s;
  const ProgramResult hashed = run_program({keepd_binary().string(), "token", "hash"}, token);
  REQUIRE(hashed.status.exited_normally(0));
  CHECK(hashed.out == token_hash(token) + "\n");
  // A trailing newline (as `echo` adds) is not part of the token.
  CHECK(run_program({keepd_binary().string(), "token", "hash"}, token + "\n").out ==
        token_hash(token) + "\n");
}

}  // namespace
}  // namespace keepdb::integration::auth
