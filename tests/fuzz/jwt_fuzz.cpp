// libFuzzer target: auth-jwt's token parsing and verification (Verifier::verify). Keys are
// generated when the process starts (an HMAC secret, an Ed25519 and a P-256 key, trusted
// through a JWKS file), never stored. The first input byte picks what the rest is:
//   0  a whole token, verified as presented (shape, base64url, header JSON, kid, signature);
//   1  a payload: signed with the trusted HMAC key under {"alg":"HS256","kid":"h"}, so the
//      claim checks (exp, nbf, iat, iss, aud, name, roles) run on a valid signature;
//   2  a header: signed with the HMAC key over good claims, so header handling (alg, crit,
//      kid selection, algorithm confusion) runs with a signature the HMAC key made.
// Bit 7 of the first byte makes the client name a user ("alice"). Any crash, sanitizer
// report or exception is a bug: verify() only throws when OpenSSL itself fails.
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "plugins/auth-jwt/base64url.h"
#include "plugins/auth-jwt/verifier.h"
#include "tests/unit/jwt/jwt_mint.h"

namespace {

namespace jwt = keepdb::auth_jwt;
namespace testing = keepdb::auth_jwt::testing;

constexpr std::uint64_t kNow = 1'900'000'000;

struct Fixture {
  Fixture()
      : hmac(testing::SigningKey::generate(jwt::KeyType::kHmac, 64)),
        verifier(create(hmac)),
        good_claims(boost::json::serialize(testing::good_claims(kNow))) {}

  static jwt::Verifier create(const testing::SigningKey& hmac) {
    const testing::TempDir dir;
    const testing::SigningKey ed = testing::SigningKey::generate(jwt::KeyType::kEdwards);
    const testing::SigningKey ec = testing::SigningKey::generate(jwt::KeyType::kEcP256);
    const std::string jwks = (dir / "keys.jwks").string();
    testing::write_file(
        jwks,
        boost::json::serialize(boost::json::object{
            {"keys", boost::json::array{hmac.jwk("h"), ed.jwk("ed"), ec.jwk("ec")}}}),
        testing::kOwnerOnly);
    return jwt::Verifier::create([&](std::string_view key) -> std::optional<std::string_view> {
      if (key == "algorithms") return "HS256,HS512,ES256,EdDSA";
      if (key == "issuers") return testing::kIssuer;
      if (key == "audience") return testing::kAudience;
      if (key == "roles_claim") return "realm.roles";
      if (key == "jwks_file") return jwks;
      return std::nullopt;
    });
  }

  testing::SigningKey hmac;
  jwt::Verifier verifier;
  std::string good_claims;
};

const Fixture& fixture() {
  static const Fixture instance;
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Fixture& f = fixture();
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view username = (data[0] & 0x80) != 0 ? "alice" : "";
  std::string token;
  switch (data[0] & 0x7f) {
    case 1:
      token = testing::mint(f.hmac, "HS256", R"({"alg":"HS256","kid":"h"})", rest);
      break;
    case 2:
      token = testing::mint(f.hmac, "HS256", rest, f.good_claims);
      break;
    default:
      token = rest;
      break;
  }
  (void)f.verifier.verify(username, token, kNow);
  return 0;
}
