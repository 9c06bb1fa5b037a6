// auth-jwt's Verifier on tokens minted in the test: every algorithm accepted, and every bad
// token of issue 16 refused with its reason (never echoing the token).
#include <openssl/crypto.h>
#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "plugins/auth-jwt/base64url.h"
#include "tests/unit/jwt/jwt_test_support.h"

namespace keepdb::auth_jwt::testing {
namespace {

namespace json = boost::json;
using Outcome = Verdict::Outcome;

// A setup trusting the shared key of every type: HMAC and the public keys in one JWKS.
VerifierSetup every_key() {
  VerifierSetup setup;
  setup.jwks({{"hmac", &SigningKey::shared(KeyType::kHmac)},
              {"rsa", &SigningKey::shared(KeyType::kRsa)},
              {"p256", &SigningKey::shared(KeyType::kEcP256)},
              {"p384", &SigningKey::shared(KeyType::kEcP384)},
              {"ed", &SigningKey::shared(KeyType::kEdwards)}});
  return setup;
}

std::string kid_for(std::string_view alg) {
  switch (key_type_for(alg)) {
    case KeyType::kHmac:
      return "hmac";
    case KeyType::kRsa:
      return "rsa";
    case KeyType::kEcP256:
      return "p256";
    case KeyType::kEcP384:
      return "p384";
    case KeyType::kEdwards:
      return "ed";
  }
  return {};
}

// The verdict must be a rejection whose reason contains `reason` and not the token.
void require_rejected(const Verdict& verdict, std::string_view reason, const std::string& token) {
  INFO("reason: " << verdict.reason);
  REQUIRE(verdict.outcome == Outcome::kRejected);
  CHECK(verdict.reason.find(reason) != std::string::npos);
  if (token.empty()) return;
  CHECK(verdict.reason.find(token) == std::string::npos);
  const std::size_t dot = token.rfind('.');
  if (dot != std::string::npos && token.size() - dot > 8) {
    CHECK(verdict.reason.find(token.substr(dot + 1)) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("jwt verify: a valid token of every algorithm is accepted with its kid", "[jwt]") {
  const VerifierSetup setup = every_key();
  const Verifier verifier = setup.create();
  for (const AlgorithmInfo& alg : all_algorithms()) {
    INFO(alg.name);
    const Verdict verdict =
        verifier.verify("", token_for(alg.name, good_claims(kNow), kid_for(alg.name)), kNow);
    INFO(verdict.reason);
    REQUIRE(verdict.outcome == Outcome::kAccepted);
    CHECK(verdict.name == "alice");
    CHECK(verdict.roles == (KDB_ROLE_READ | KDB_ROLE_WRITE));
    CHECK(verdict.expires_unix_s == kNow + 600);
  }
}

TEST_CASE("jwt verify: without a kid every usable key is tried", "[jwt]") {
  const VerifierSetup setup = every_key();
  const Verifier verifier = setup.create();
  for (const AlgorithmInfo& alg : all_algorithms()) {
    INFO(alg.name);
    CHECK(verifier.verify("", token_for(alg.name, good_claims(kNow)), kNow).outcome ==
          Outcome::kAccepted);
  }
}

TEST_CASE("jwt verify: HMAC and PEM key files are used as well as JWKS", "[jwt]") {
  VerifierSetup setup;
  setup.hmac_file(SigningKey::shared(KeyType::kHmac));
  setup.pem_file(SigningKey::shared(KeyType::kEcP256));
  const Verifier verifier = setup.create();
  CHECK(verifier.verify("", token_for("HS512", good_claims(kNow)), kNow).outcome ==
        Outcome::kAccepted);
  CHECK(verifier.verify("", token_for("ES256", good_claims(kNow)), kNow).outcome ==
        Outcome::kAccepted);
  require_rejected(verifier.verify("", token_for("RS256", good_claims(kNow)), kNow),
                   "no configured key may verify RS256", "");
}

TEST_CASE("jwt verify: a wrong signature is refused", "[jwt]") {
  const VerifierSetup setup = every_key();
  const Verifier verifier = setup.create();
  for (const std::string_view alg : {"HS256", "RS256", "PS256", "ES256", "ES384", "EdDSA"}) {
    INFO(alg);
    // Signed by another key of the same type, under the trusted key's kid.
    const SigningKey stranger = SigningKey::generate(key_type_for(alg), 64);
    const std::string forged = mint(stranger, alg, good_claims(kNow), kid_for(alg));
    require_rejected(verifier.verify("", forged, kNow), "bad signature", forged);
    // A trusted token whose payload was changed after signing.
    const std::string genuine = token_for(alg, good_claims(kNow), kid_for(alg));
    json::object admin = good_claims(kNow);
    admin["roles"] = json::array{"admin"};
    const std::size_t first = genuine.find('.');
    const std::size_t second = genuine.find('.', first + 1);
    const std::string tampered = genuine.substr(0, first + 1) +
                                 encode_base64url(json::serialize(admin)) + genuine.substr(second);
    require_rejected(verifier.verify("", tampered, kNow), "bad signature", tampered);
  }
}

TEST_CASE("jwt verify: alg none is refused in every spelling", "[jwt]") {
  const Verifier verifier = every_key().create();
  const std::string payload = encode_base64url(json::serialize(good_claims(kNow)));
  for (const std::string_view alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = encode_base64url(R"({"alg":")" + std::string(alg) + R"("})");
    const std::string unsigned_token = header + "." + payload + ".";
    require_rejected(verifier.verify("", unsigned_token, kNow), "never accepted", unsigned_token);
  }
}

TEST_CASE("jwt verify: an RSA public key used as an HMAC secret is refused", "[jwt]") {
  VerifierSetup setup;
  setup.pem_file(SigningKey::shared(KeyType::kRsa));
  setup.options["public_key_kid"] = "rsa";
  const Verifier verifier = setup.create();
  const SigningKey confused = SigningKey::hmac_from(SigningKey::shared(KeyType::kRsa).public_pem());
  const std::string with_kid = mint(confused, "HS256", good_claims(kNow), "rsa");
  require_rejected(verifier.verify("", with_kid, kNow),
                   "key 'rsa' is an RSA public key, which may not verify HS256", with_kid);
  const std::string without_kid = mint(confused, "HS256", good_claims(kNow));
  require_rejected(verifier.verify("", without_kid, kNow), "no configured key may verify HS256",
                   without_kid);
}

TEST_CASE("jwt verify: an HMAC key never verifies an asymmetric algorithm", "[jwt]") {
  VerifierSetup setup;
  setup.hmac_file(SigningKey::shared(KeyType::kHmac));
  setup.options["hmac_kid"] = "hmac";
  const std::string token = token_for("RS256", good_claims(kNow), "hmac");
  require_rejected(setup.verify(token), "key 'hmac' is an HMAC secret, which may not verify RS256",
                   token);
}

TEST_CASE("jwt verify: an alg outside the allow-list is refused", "[jwt]") {
  VerifierSetup setup = every_key();
  setup.options["algorithms"] = "RS256";
  const std::string token = token_for("HS256", good_claims(kNow), "hmac");
  require_rejected(setup.verify(token), "alg 'HS256' is not in the algorithms allow-list", token);
  const std::string unknown = mint(SigningKey::shared(KeyType::kHmac), "XS256", good_claims(kNow));
  require_rejected(setup.verify(unknown), "alg 'XS256' is not supported", unknown);
}

TEST_CASE("jwt verify: an HMAC secret shorter than the hash is not used", "[jwt]") {
  VerifierSetup setup;
  const SigningKey short_key = SigningKey::generate(KeyType::kHmac, 32);
  setup.hmac_file(short_key);
  const Verifier verifier = setup.create();
  CHECK(verifier.verify("", mint(short_key, "HS256", good_claims(kNow)), kNow).outcome ==
        Outcome::kAccepted);
  require_rejected(verifier.verify("", mint(short_key, "HS512", good_claims(kNow)), kNow),
                   "no configured key may verify HS512", "");
}

TEST_CASE("jwt verify: expired and not yet valid tokens are refused", "[jwt]") {
  const VerifierSetup setup = every_key();
  json::object claims = good_claims(kNow - 1000);  // exp = kNow - 400
  std::string token = token_for("ES256", claims, "p256");
  require_rejected(setup.verify(token), "token expired", token);
  claims = good_claims(kNow);
  claims["exp"] = kNow;  // expires at this very second
  token = token_for("ES256", claims, "p256");
  require_rejected(setup.verify(token), "token expired", token);

  claims = good_claims(kNow);
  claims["nbf"] = kNow + 120;  // beyond the default 60 s skew
  token = token_for("ES256", claims, "p256");
  require_rejected(setup.verify(token), "token not yet valid (nbf)", token);
  claims["nbf"] = kNow + 30;  // within the skew
  CHECK(setup.verify(token_for("ES256", claims, "p256")).outcome == Outcome::kAccepted);
}

TEST_CASE("jwt verify: iat in the future beyond the clock skew is refused", "[jwt]") {
  VerifierSetup setup = every_key();
  json::object claims = good_claims(kNow);
  claims["iat"] = kNow + 90;
  const std::string token = token_for("HS256", claims, "hmac");
  require_rejected(setup.verify(token), "token issued in the future (iat)", token);
  setup.options["clock_skew_s"] = "120";
  CHECK(setup.verify(token).outcome == Outcome::kAccepted);
  setup.options["clock_skew_s"] = "0";
  claims["iat"] = kNow + 1;
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")), "iat", "");
}

TEST_CASE("jwt verify: fractional NumericDates are accepted and malformed ones refused", "[jwt]") {
  const VerifierSetup setup = every_key();
  json::object claims = good_claims(kNow);
  claims["exp"] = static_cast<double>(kNow) + 10.75;
  const Verdict fractional = setup.verify(token_for("HS256", claims, "hmac"));
  REQUIRE(fractional.outcome == Outcome::kAccepted);
  CHECK(fractional.expires_unix_s == kNow + 10);
  for (const json::value& bad :
       {json::value("1900000600"), json::value(-5), json::value(1e300), json::value(nullptr)}) {
    claims["exp"] = bad;
    require_rejected(setup.verify(token_for("HS256", claims, "hmac")), "exp is not a NumericDate",
                     "");
  }
}

TEST_CASE("jwt verify: a token without exp is refused", "[jwt]") {
  const VerifierSetup setup = every_key();
  json::object claims = good_claims(kNow);
  claims.erase("exp");
  const std::string token = token_for("RS256", claims, "rsa");
  require_rejected(setup.verify(token), "no exp claim", token);
}

TEST_CASE("jwt verify: a lifetime beyond max_lifetime_s is refused", "[jwt]") {
  VerifierSetup setup = every_key();
  setup.options["max_lifetime_s"] = "300";
  json::object claims = good_claims(kNow);  // iat now, exp now + 600
  std::string token = token_for("HS256", claims, "hmac");
  require_rejected(setup.verify(token), "token lifetime exceeds max_lifetime_s (300 s)", token);
  claims.erase("iat");  // without iat the remaining time counts
  token = token_for("HS256", claims, "hmac");
  require_rejected(setup.verify(token), "lifetime", token);
  claims["iat"] = kNow - 200;
  claims["exp"] = kNow + 200;  // 400 s in all
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")), "lifetime", "");
  claims["exp"] = kNow + 100;
  CHECK(setup.verify(token_for("HS256", claims, "hmac")).outcome == Outcome::kAccepted);
}

TEST_CASE("jwt verify: wrong or missing issuer and audience are refused", "[jwt]") {
  VerifierSetup setup = every_key();
  setup.options["issuers"] = "https://other.test, " + std::string(kIssuer);
  json::object claims = good_claims(kNow);
  claims["iss"] = "https://evil.test";
  std::string token = token_for("HS256", claims, "hmac");
  require_rejected(setup.verify(token), "wrong issuer 'https://evil.test'", token);
  claims.erase("iss");
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")), "no iss claim", "");

  claims = good_claims(kNow);
  claims["aud"] = "someone-else";
  token = token_for("HS256", claims, "hmac");
  require_rejected(setup.verify(token), "wrong audience", token);
  claims["aud"] = json::array{"a", "b"};
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")), "wrong audience", "");
  claims["aud"] = json::array{"a", kAudience};
  CHECK(setup.verify(token_for("HS256", claims, "hmac")).outcome == Outcome::kAccepted);
  claims["aud"] = json::array{kAudience, 7};
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")),
                   "aud is not a string or an array of strings", "");
  claims.erase("aud");
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")), "no aud claim", "");
}

TEST_CASE("jwt verify: malformed base64url in any part is refused", "[jwt]") {
  const VerifierSetup setup = every_key();
  const std::string good = token_for("HS256", good_claims(kNow), "hmac");
  const std::size_t first = good.find('.');
  const std::size_t second = good.find('.', first + 1);
  const std::string header = good.substr(0, first);
  const std::string payload = good.substr(first + 1, second - first - 1);
  const std::string signature = good.substr(second + 1);
  require_rejected(setup.verify(header + "=." + payload + "." + signature),
                   "header is not base64url", "");
  require_rejected(setup.verify("e!J." + payload + "." + signature), "header is not base64url", "");
  require_rejected(setup.verify(header + "." + payload + "." + signature + "+"),
                   "signature is not base64url", "");
  // The payload is decoded only once the signature holds: a payload that is not base64url
  // fails the signature first.
  require_rejected(setup.verify(header + ".@@." + signature), "bad signature", "");
}

TEST_CASE("jwt verify: a header or payload that is not JSON is refused", "[jwt]") {
  const VerifierSetup setup = every_key();
  const std::string payload = encode_base64url(json::serialize(good_claims(kNow)));
  std::string token = encode_base64url("not json") + "." + payload + ".c2ln";
  require_rejected(setup.verify(token), "header is not a JSON object: not valid JSON", token);
  token = encode_base64url(R"(["HS256"])") + "." + payload + ".c2ln";
  require_rejected(setup.verify(token), "header is not a JSON object: not a JSON object", token);
  const SigningKey& hmac = SigningKey::shared(KeyType::kHmac);
  token = mint(hmac, "HS256", R"({"alg":"HS256","kid":"hmac"})", "{not json");
  require_rejected(setup.verify(token), "payload is not a JSON object: not valid JSON", token);
}

TEST_CASE("jwt verify: duplicate JSON keys in the header or the payload are refused", "[jwt]") {
  const VerifierSetup setup = every_key();
  const SigningKey& hmac = SigningKey::shared(KeyType::kHmac);
  const std::string claims = json::serialize(good_claims(kNow));
  std::string token = mint(hmac, "HS256", R"({"alg":"HS256","kid":"hmac","alg":"HS256"})", claims);
  require_rejected(setup.verify(token), "header is not a JSON object: duplicate key", token);
  std::string doubled = claims;
  doubled.insert(1, R"("sub":"mallory",)");
  token = mint(hmac, "HS256", R"({"alg":"HS256","kid":"hmac"})", doubled);
  require_rejected(setup.verify(token), "payload is not a JSON object: duplicate key", token);
}

TEST_CASE("jwt verify: a 1 MiB token is refused by its size before parsing", "[jwt]") {
  const VerifierSetup setup = every_key();
  // Well formed up to the limit: a real token with a 1 MiB padding claim.
  json::object claims = good_claims(kNow);
  claims["pad"] = std::string(1 << 20, 'x');
  const std::string token = token_for("HS256", claims, "hmac");
  REQUIRE(token.size() > (1u << 20));
  const Verdict verdict = setup.verify(token);
  require_rejected(verdict, "is longer than max_token_bytes (8192)", token);
  CHECK(verdict.reason.find("token of " + std::to_string(token.size()) + " bytes") !=
        std::string::npos);
  // A garbage megabyte (not even a JWT) is refused the same way, never deferred.
  CHECK(setup.verify(std::string(1 << 20, 'A')).outcome == Outcome::kRejected);
}

TEST_CASE("jwt verify: an unknown kid is refused with a clear reason", "[jwt]") {
  const VerifierSetup setup = every_key();
  const std::string token = token_for("ES384", good_claims(kNow), "retired-2025");
  require_rejected(setup.verify(token), "unknown kid 'retired-2025': no configured key has it",
                   token);
  const std::string odd = token_for("ES384", good_claims(kNow), std::string(100, '\x01'));
  const Verdict verdict = setup.verify(odd);
  REQUIRE(verdict.outcome == Outcome::kRejected);
  CHECK(verdict.reason.find('\x01') == std::string::npos);  // shown sanitised and cut
  CHECK(verdict.reason.find("...") != std::string::npos);
}

TEST_CASE("jwt verify: a crit header is refused", "[jwt]") {
  const VerifierSetup setup = every_key();
  const std::string token = mint(SigningKey::shared(KeyType::kHmac), "HS256",
                                 R"({"alg":"HS256","kid":"hmac","crit":["exp"],"exp":1})",
                                 json::serialize(good_claims(kNow)));
  require_rejected(setup.verify(token), "crit", token);
}

TEST_CASE("jwt verify: a secret that is not shaped like a JWT is deferred", "[jwt]") {
  const VerifierSetup setup = every_key();
  for (const std::string_view secret : {"a-plain-password", "one.dot", "a.b.c.d", ""}) {
    const Verdict verdict = setup.verify(std::string(secret));
    CHECK(verdict.outcome == Outcome::kNotMine);
    CHECK(verdict.reason.find("not a JWT") != std::string::npos);
  }
}

TEST_CASE("jwt verify: roles come from the configured claim and role_map", "[jwt]") {
  VerifierSetup setup = every_key();
  json::object claims = good_claims(kNow);
  claims["roles"] = "read admin,unrelated";
  CHECK(setup.verify(token_for("HS256", claims, "hmac")).roles == (KDB_ROLE_READ | KDB_ROLE_ADMIN));
  claims["roles"] = json::array{"other-service"};
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")),
                   "no KeepDB role in claim 'roles'", "");
  claims["roles"] = json::array{"read", 3};
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")),
                   "is not a string or an array of strings", "");
  claims.erase("roles");
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")), "no KeepDB role", "");

  setup.options["roles_claim"] = "realm_access.roles";
  setup.options["role_map"] = "db-admin=read+write+admin, db-reader=read";
  claims["realm_access"] = json::object{{"roles", json::array{"db-reader", "x"}}};
  CHECK(setup.verify(token_for("HS256", claims, "hmac")).roles == KDB_ROLE_READ);
  setup.options["roles_claim"] = "https://keepdb.test/roles";
  claims["https://keepdb.test/roles"] = "db-admin";
  CHECK(setup.verify(token_for("HS256", claims, "hmac")).roles ==
        (KDB_ROLE_READ | KDB_ROLE_WRITE | KDB_ROLE_ADMIN));
}

TEST_CASE("jwt verify: the principal is named by name_claim and the username must be sub",
          "[jwt]") {
  VerifierSetup setup = every_key();
  json::object claims = good_claims(kNow);
  claims["preferred_username"] = "Alice Liddell";
  const std::string token = token_for("HS256", claims, "hmac");
  CHECK(setup.verify(token, "alice").outcome == Outcome::kAccepted);
  CHECK(setup.verify(token, "default").outcome == Outcome::kAccepted);
  require_rejected(setup.verify(token, "bob"), "the username is not the token's sub", token);
  setup.options["name_claim"] = "preferred_username";
  CHECK(setup.verify(token).name == "Alice Liddell");
  claims["preferred_username"] = "line\nbreak";
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")),
                   "claim 'preferred_username' is missing or not a usable principal name", "");
  claims["preferred_username"] = std::string(256, 'n');
  require_rejected(setup.verify(token_for("HS256", claims, "hmac")), "usable principal name", "");
}

TEST_CASE("jwt verify: one verifier answers from several threads at once", "[jwt]") {
  // The host calls authenticate on two worker threads per instance; the keys (EVP_PKEY,
  // HMAC secrets) are shared by every call.
  const VerifierSetup setup = every_key();
  const Verifier verifier = setup.create();
  std::vector<std::string> tokens;
  for (const AlgorithmInfo& alg : all_algorithms()) {
    tokens.push_back(token_for(alg.name, good_claims(kNow), kid_for(alg.name)));
  }
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round) {
        for (const std::string& token : tokens) {
          if (verifier.verify("", token, kNow).outcome == Outcome::kAccepted) ++accepted;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(accepted == static_cast<int>(4 * 5 * tokens.size()));
}

}  // namespace keepdb::auth_jwt::testing
