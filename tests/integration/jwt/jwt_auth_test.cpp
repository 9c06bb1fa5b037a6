// auth-jwt end to end (issue 16): real keepd processes with the plugin, keys made with the
// openssl command line, tokens minted with the README's mint-jwt.sh, clients redis-cli and
// raw sockets. Every algorithm, the username rule, every bad token refused with its reason
// in the log (never the token), roles enforced, a rotated key set, and the refusal of an
// unsafe secret file by `keepd config check`.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>

#include "plugins/auth-jwt/base64url.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"
#include "tests/integration/jwt/jwt_keepd.h"

namespace keepdb::integration::jwt {
namespace {

namespace fs = std::filesystem;
using auth_jwt::encode_base64url;

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";

RespValue auth(RawClient& client, const std::vector<std::string>& args) {
  std::vector<std::string> command{"AUTH"};
  command.insert(command.end(), args.begin(), args.end());
  return client.command(command);
}

// A keepd trusting an HMAC secret (hmac_kid "h1") made with openssl, and whatever
// `configure` adds before it starts.
struct HmacNode {
  explicit HmacNode(const std::function<void(JwtKeepd&)>& configure = {}) {
    key = make_private_key(node.dir(), "hmac.key", "HS256");
    node.options()["hmac_secret_file"] = key.string();
    node.options()["hmac_kid"] = "h1";
    if (configure) configure(node);
    node.start();
  }
  std::string token(const std::string& claims) const {
    return mint_with_script("HS256", key, claims, "h1");
  }

  JwtKeepd node;
  fs::path key;
};

// Each token is refused with WRONGPASS on one connection, the log gives its reason, the
// connection stays unauthenticated, and no token appears in the log.
void check_refused(const JwtKeepd& node,
                   const std::vector<std::pair<std::string, std::string>>& cases) {
  RawClient client(node.port());
  for (const auto& [token, reason] : cases) {
    INFO(reason);
    CHECK(auth(client, {token}).text == kWrongPass);
    CHECK(node.wait_for_log(reason));
  }
  CHECK(client.command({"GET", "k"}).text == kNoAuth);
  const std::string log = node.log();
  for (const auto& [token, reason] : cases) {
    CHECK(log.find(token.substr(0, 200)) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("jwt keepd: the README example authenticates redis-cli with a minted token", "[jwt]") {
  HmacNode h;
  CHECK(h.node.wait_for_log("verifying with 1 key: kid 'h1' an HMAC secret"));
  const std::string token = h.token(claims_json("alice", R"(["read","write"])"));
  const RedisCli cli(h.node.port());
  const ProgramResult set = cli.run({"--no-auth-warning", "-a", token, "SET", "k", "v"});
  CHECK(set.out == "OK\n");
  CHECK(cli.run({"--no-auth-warning", "-a", token, "GET", "k"}, CliOutput::kRaw).out == "v\n");
  CHECK(h.node.wait_for_log("as principal=alice by jwt"));
  CHECK(h.node.log().find(token) == std::string::npos);
}

TEST_CASE("jwt keepd: a token of every algorithm authenticates", "[jwt]") {
  JwtKeepd node;
  const fs::path hmac = make_private_key(node.dir(), "hmac.key", "HS256");
  std::map<std::string, fs::path> private_keys;
  std::string pem;
  for (const std::string_view alg : {"RS256", "ES256", "ES384", "EdDSA"}) {
    private_keys[std::string(alg)] = make_private_key(node.dir(), std::string(alg) + ".pem", alg);
    pem += public_pem_of(private_keys[std::string(alg)]);
  }
  write_file(node.dir() / "public.pem", pem);
  node.options()["hmac_secret_file"] = hmac.string();
  node.options()["public_key_file"] = (node.dir() / "public.pem").string();
  node.start();
  RawClient client(node.port());
  for (const std::string_view alg :
       {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"}) {
    INFO(alg);
    const std::string family(alg.substr(0, 2));
    const fs::path key = family == "HS"                     ? hmac
                         : family == "RS" || family == "PS" ? private_keys["RS256"]
                                                            : private_keys[std::string(alg)];
    const std::string token = mint_with_script(alg, key, claims_json("alice", R"("read")"));
    CHECK(auth(client, {token}).text == "OK");
  }
  CHECK(client.command({"GET", "nothing"}).null);
}

TEST_CASE("jwt keepd: AUTH and HELLO with a username need it to be the token's sub", "[jwt]") {
  HmacNode h;
  const std::string token = h.token(claims_json("alice", R"(["read"])"));
  RawClient client(h.node.port());
  CHECK(auth(client, {"alice", token}).text == "OK");
  CHECK(auth(client, {"bob", token}).text == kWrongPass);
  CHECK(h.node.wait_for_log("the username is not the token's sub"));
  RawClient hello(h.node.port());
  const RespValue reply = hello.command({"HELLO", "3", "AUTH", "alice", token});
  CHECK(reply.type == '%');
  CHECK(hello.command({"GET", "k"}).null);
  RawClient wrong(h.node.port());
  CHECK(wrong.command({"HELLO", "3", "AUTH", "mallory", token}).text == kWrongPass);
}

TEST_CASE("jwt keepd: forged and malformed tokens get WRONGPASS and the log says why", "[jwt]") {
  // The node also trusts an RSA public key, which a confused verifier would take as an
  // HMAC secret.
  HmacNode h([](JwtKeepd& node) {
    const fs::path rsa = make_private_key(node.dir(), "rsa.pem", "RS256");
    write_file(node.dir() / "rsa.pub", public_pem_of(rsa));
    node.options()["public_key_file"] = (node.dir() / "rsa.pub").string();
    node.options()["public_key_kid"] = "rsa";
  });
  const std::string good = claims_json("alice", R"(["read"])");
  const std::string header = encode_base64url(R"({"alg":"HS256","kid":"h1"})");
  const std::string payload = encode_base64url(good);
  const fs::path stranger_key = make_private_key(h.node.dir(), "stranger.key", "HS256");
  check_refused(
      h.node,
      {
          {mint_with_script("HS256", stranger_key, good, "h1"), "bad signature"},
          {encode_base64url(R"({"alg":"none"})") + "." + payload + ".", "never accepted"},
          {mint_with_script("HS256", h.node.dir() / "rsa.pub", good, "rsa"),
           "key 'rsa' is an RSA public key, which may not verify HS256"},
          {header + "." + payload + ".not+base64", "signature is not base64url"},
          {encode_base64url("{not json") + "." + payload + ".c2ln", "header is not a JSON object"},
          {encode_base64url(R"({"alg":"HS256","alg":"HS256"})") + "." + payload + ".c2ln",
           "duplicate key"},
          {mint_with_script("HS256", h.key, good, "retired"), "unknown kid 'retired'"},
          {header + "." + std::string(9000, 'A') + ".c2ln",
           "is longer than max_token_bytes (8192)"},
      });
}

TEST_CASE("jwt keepd: tokens with bad claims get WRONGPASS and the log says why", "[jwt]") {
  HmacNode h;
  const std::uint64_t now = unix_now();
  const std::string good = claims_json("alice", R"(["read"])");
  const auto with_claim = [&](const std::string& extra) {
    return h.token(good.substr(0, good.size() - 1) + "," + extra + "}");
  };
  const auto claims = [&](std::string_view iss, std::string_view aud, const std::string& times) {
    return h.token("{\"iss\":\"" + std::string(iss) + "\",\"aud\":\"" + std::string(aud) +
                   "\",\"sub\":\"alice\",\"roles\":\"read\"" + times + "}");
  };
  const std::string soon = ",\"exp\":" + std::to_string(now + 60);
  check_refused(
      h.node,
      {
          {h.token(claims_json("alice", R"(["read"])", -10)), "token expired"},
          {with_claim("\"nbf\":" + std::to_string(now + 3600)), "token not yet valid (nbf)"},
          {claims(
               kIssuer, kAudience,
               ",\"iat\":" + std::to_string(now + 3600) + ",\"exp\":" + std::to_string(now + 3700)),
           "token issued in the future (iat)"},
          {claims("https://evil.test", kAudience, soon), "wrong issuer 'https://evil.test'"},
          {claims(kIssuer, "other", soon), "wrong audience"},
          {claims(kIssuer, kAudience, ""), "no exp claim"},
          {h.token(claims_json("alice", R"(["read"])", 7200)), "token lifetime exceeds"},
          {with_claim(R"("sub":"mallory")"), "payload is not a JSON object: duplicate key"},
      });
}

TEST_CASE("jwt keepd: a 1 MiB token is refused by size", "[jwt]") {
  HmacNode h;
  const std::string huge =
      encode_base64url(R"({"alg":"HS256"})") + "." + std::string(1 << 20, 'A') + ".c2ln";
  // On an authenticated connection the kernel passes it on, and the plugin refuses it by
  // its size alone.
  RawClient client(h.node.port());
  REQUIRE(auth(client, {h.token(claims_json("alice", R"("read")"))}).text == "OK");
  CHECK(auth(client, {huge}).text == kWrongPass);
  CHECK(h.node.wait_for_log("token of " + std::to_string(huge.size()) +
                            " bytes is longer than max_token_bytes (8192)"));
  // Before authentication the kernel's own 16 KiB bulk limit closes the connection first.
  RawClient stranger(h.node.port());
  CHECK(auth(stranger, {huge}).text.starts_with("ERR Protocol error"));
  CHECK(stranger.wait_closed());
}

TEST_CASE("jwt keepd: the roles of the token are enforced", "[jwt]") {
  HmacNode h;
  RawClient reader(h.node.port());
  REQUIRE(auth(reader, {h.token(claims_json("dashboard", R"("read")"))}).text == "OK");
  CHECK(reader.command({"GET", "k"}).null);
  const RespValue refused = reader.command({"SET", "k", "v"});
  CHECK(refused.text.starts_with("NOPERM"));
  RawClient writer(h.node.port());
  REQUIRE(auth(writer, {h.token(claims_json("ingest", R"(["write"])"))}).text == "OK");
  CHECK(writer.command({"SET", "k", "v"}).text == "OK");
}

TEST_CASE("jwt keepd: a rotated key set takes over at the next start", "[jwt]") {
  JwtKeepd node;
  const fs::path old_key = make_private_key(node.dir(), "2025.pem", "ES256");
  const fs::path new_key = make_private_key(node.dir(), "2026.pem", "ES256");
  write_file(node.dir() / "current.pem", public_pem_of(old_key));
  node.options()["public_key_file"] = (node.dir() / "current.pem").string();
  node.options()["public_key_kid"] = "2025";
  node.start();
  const std::string old_token =
      mint_with_script("ES256", old_key, claims_json("alice", R"("read")"), "2025");
  const std::string new_token =
      mint_with_script("ES256", new_key, claims_json("alice", R"("read")"), "2026");
  {
    RawClient client(node.port());
    CHECK(auth(client, {old_token}).text == "OK");
    CHECK(auth(client, {new_token}).text == kWrongPass);
  }
  node.stop();
  write_file(node.dir() / "current.pem", public_pem_of(new_key));
  node.options()["public_key_kid"] = "2026";
  node.start();
  RawClient client(node.port());
  CHECK(auth(client, {new_token}).text == "OK");
  CHECK(auth(client, {old_token}).text == kWrongPass);
  CHECK(node.wait_for_log("unknown kid '2025': no configured key has it"));
}

TEST_CASE("jwt keepd: config check refuses an HMAC secret others may read", "[jwt]") {
  JwtKeepd node;
  const fs::path key = make_private_key(node.dir(), "hmac.key", "HS256");
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  node.options()["hmac_secret_file"] = key.string();
  const ProgramResult check = node.config_check();
  CHECK(check.status.exited_normally(1));
  CHECK((check.out + check.err)
            .find("holds a secret and must not be accessible by group or "
                  "others (mode 0604); chmod 600 it") != std::string::npos);
}

TEST_CASE("jwt keepd: the session ends with NOAUTH once the token expires", "[jwt]") {
  HmacNode h;
  RawClient client(h.node.port());
  REQUIRE(auth(client, {h.token(claims_json("alice", R"(["read","write"])", 3))}).text == "OK");
  CHECK(client.command({"SET", "k", "v"}).text == "OK");
  // Polled with a deadline: the token has 3 s; the next command after that is refused.
  const bool expired = poll_until(
      [&] {
        return client.command({"GET", "k"}).text == kNoAuth;
      },
      15s, 100ms);
  CHECK(expired);
}

}  // namespace keepdb::integration::jwt
