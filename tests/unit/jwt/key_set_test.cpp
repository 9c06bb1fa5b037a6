// auth-jwt's key files and options: what create() refuses, and why, without echoing a key.
#include <openssl/pem.h>
#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include "tests/unit/jwt/jwt_test_support.h"

namespace keepdb::auth_jwt::testing {
namespace {

namespace json = boost::json;
using std::filesystem::perms;

// The message create() throws, or "created".
std::string refusal(const VerifierSetup& setup) {
  try {
    setup.create();
    return "created";
  } catch (const std::invalid_argument& invalid) {
    return invalid.what();
  }
}

void write_jwks(VerifierSetup& setup, const json::array& keys, perms mode = perms::owner_read) {
  const std::string path = (setup.dir / "set.jwks").string();
  write_file(path, json::serialize(json::object{{"keys", keys}}), mode);
  setup.options["jwks_file"] = path;
}

}  // namespace

TEST_CASE("jwt keys: an HMAC secret file readable by group or others is refused", "[jwt]") {
  VerifierSetup setup;
  const SigningKey key = SigningKey::generate(KeyType::kHmac, 32);
  setup.hmac_file(key);
  std::filesystem::permissions(setup.options["hmac_secret_file"],
                               perms::owner_read | perms::group_read);
  const std::string message = refusal(setup);
  CHECK(message.find("hmac_secret_file") != std::string::npos);
  CHECK(message.find("mode 0440") != std::string::npos);
  CHECK(message.find(key.secret()) == std::string::npos);
  std::filesystem::permissions(setup.options["hmac_secret_file"],
                               perms::owner_read | perms::others_read);
  CHECK(refusal(setup).find("mode 0404") != std::string::npos);
}

TEST_CASE("jwt keys: an HMAC secret shorter than 32 bytes is refused", "[jwt]") {
  VerifierSetup setup;
  setup.hmac_file(SigningKey::hmac_from("only-31-bytes-of-secret-xxxxxxx"));
  CHECK(refusal(setup).find("holds 31 bytes; an HMAC secret needs at least 32") !=
        std::string::npos);
  setup.hmac_file(SigningKey::hmac_from(std::string(32, 's')));
  CHECK(refusal(setup) == "created");
}

TEST_CASE("jwt keys: a PEM file must hold public keys only of supported types", "[jwt]") {
  VerifierSetup setup;
  const std::string path = (setup.dir / "keys.pem").string();
  setup.options["public_key_file"] = path;
  write_file(path, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
             kOwnerOnly);
  CHECK(refusal(setup).find("holds a 'PRIVATE KEY' block; give public keys only") !=
        std::string::npos);
  write_file(path, "no pem here\n", kOwnerOnly);
  CHECK(refusal(setup).find("no PEM \"PUBLIC KEY\" block") != std::string::npos);
  const SigningKey edwards = SigningKey::generate(KeyType::kEdwards);
  EVP_PKEY* small_rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024));
  REQUIRE(small_rsa != nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PUBKEY(bio.get(), small_rsa) == 1);
  EVP_PKEY_free(small_rsa);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  write_file(path, std::string(data, static_cast<std::size_t>(length)), kOwnerOnly);
  CHECK(refusal(setup).find("RSA key shorter than 2048 bits") != std::string::npos);
  // Two keys in one file are both trusted (a rotation), but not under one kid.
  write_file(path, SigningKey::shared(KeyType::kEcP256).public_pem() + edwards.public_pem(),
             kOwnerOnly);
  CHECK(refusal(setup) == "created");
  setup.options["public_key_kid"] = "k1";
  CHECK(refusal(setup).find("public_key_kid names one key but the file holds 2") !=
        std::string::npos);
}

TEST_CASE("jwt keys: a JWKS with private members or the wrong use is refused", "[jwt]") {
  VerifierSetup setup;
  json::object rsa = SigningKey::shared(KeyType::kRsa).jwk("rsa");
  rsa["d"] = "AQAB";
  write_jwks(setup, {rsa});
  CHECK(refusal(setup).find("key 1: holds private key material (\"d\")") != std::string::npos);
  json::object ec = SigningKey::shared(KeyType::kEcP256).jwk("ec");
  ec["use"] = "enc";
  write_jwks(setup, {ec});
  CHECK(refusal(setup).find("\"use\" is \"enc\", not \"sig\"") != std::string::npos);
  ec.erase("use");
  ec["key_ops"] = json::array{"sign"};
  write_jwks(setup, {ec});
  CHECK(refusal(setup).find("\"key_ops\" does not include \"verify\"") != std::string::npos);
  ec["key_ops"] = json::array{"verify"};
  ec["alg"] = "RS256";
  write_jwks(setup, {ec});
  CHECK(refusal(setup).find("\"alg\" \"RS256\" is not one this plugin verifies with a P-256") !=
        std::string::npos);
}

TEST_CASE("jwt keys: malformed JWK members and JWKS text are refused", "[jwt]") {
  VerifierSetup setup;
  json::object ec = SigningKey::shared(KeyType::kEcP256).jwk("ec");
  ec["x"] = "AAAA";
  write_jwks(setup, {ec});
  CHECK(refusal(setup).find("\"x\" and \"y\" must be 32 bytes for P-256") != std::string::npos);
  json::object off_curve = SigningKey::shared(KeyType::kEcP256).jwk("ec");
  off_curve["y"] = off_curve["x"];
  write_jwks(setup, {off_curve});
  CHECK(refusal(setup).find("not a valid public key") != std::string::npos);
  json::object rsa = SigningKey::shared(KeyType::kRsa).jwk("rsa");
  rsa["n"] = "n+t/base64";
  write_jwks(setup, {rsa});
  CHECK(refusal(setup).find("\"n\" is not base64url") != std::string::npos);
  write_jwks(setup, {json::object{{"kty", "XYZ"}}});
  CHECK(refusal(setup).find("\"kty\" must be RSA, EC, OKP or oct") != std::string::npos);
  write_jwks(setup, {});
  CHECK(refusal(setup).find("\"keys\" is empty") != std::string::npos);
  write_file(setup.options["jwks_file"], R"({"keys":[],"keys":[]})", kOwnerOnly);
  CHECK(refusal(setup).find("duplicate key") != std::string::npos);
}

TEST_CASE("jwt keys: a JWKS holding HMAC secrets must be private", "[jwt]") {
  VerifierSetup setup;
  const SigningKey& hmac = SigningKey::shared(KeyType::kHmac);
  write_jwks(setup, {hmac.jwk("h1")}, perms::owner_read | perms::group_read);
  const std::string message = refusal(setup);
  CHECK(message.find("holds a secret and must not be accessible by group or others") !=
        std::string::npos);
  CHECK(message.find(std::string(hmac.jwk("h1").at("k").as_string())) == std::string::npos);
  write_jwks(setup, {hmac.jwk("h1")});
  CHECK(refusal(setup) == "created");
  // A public JWKS may be world-readable.
  write_jwks(setup, {SigningKey::shared(KeyType::kEdwards).jwk("ed")},
             perms::owner_read | perms::group_read | perms::others_read);
  CHECK(refusal(setup) == "created");
}

TEST_CASE("jwt keys: two keys with one kid and no key at all are refused", "[jwt]") {
  VerifierSetup setup;
  write_jwks(setup, {SigningKey::shared(KeyType::kRsa).jwk("same"),
                     SigningKey::shared(KeyType::kEcP384).jwk("same")});
  CHECK(refusal(setup).find("have the same kid 'same'") != std::string::npos);
  setup.options.erase("jwks_file");
  CHECK(refusal(setup).find("no key: set hmac_secret_file, public_key_file or jwks_file") !=
        std::string::npos);
  setup.options["jwks_file"] = (setup.dir / "missing.jwks").string();
  CHECK(refusal(setup).find("No such file or directory") != std::string::npos);
}

TEST_CASE("jwt options: none and unknown algorithms and out-of-range numbers are refused",
          "[jwt]") {
  VerifierSetup setup;
  setup.jwks({{"ed", &SigningKey::shared(KeyType::kEdwards)}});
  REQUIRE(refusal(setup) == "created");
  const auto refused_with = [&](const std::string& key, const std::string& value) {
    VerifierSetup changed;
    changed.options = setup.options;
    changed.options[key] = value;
    return refusal(changed);
  };
  CHECK(refused_with("algorithms", "EdDSA,none") ==
        "algorithms: 'none' (unsigned tokens) is never accepted");
  CHECK(refused_with("algorithms", "HS256,RS1") == "algorithms: unknown algorithm 'RS1'");
  CHECK(refused_with("algorithms", " , ") == "algorithms: names no algorithm");
  CHECK(refused_with("issuers", "") == "issuers: names no issuer");
  CHECK(refused_with("audience", " ") == "audience: is empty");
  CHECK(refused_with("clock_skew_s", "301") == "clock_skew_s: must be an integer from 0 to 300");
  CHECK(refused_with("max_lifetime_s", "1h").find("max_lifetime_s: must be an integer") == 0);
  CHECK(refused_with("max_token_bytes", "100").find("from 1024 to 65536") != std::string::npos);
  CHECK(refused_with("role_map", "x=root") ==
        "role_map: unknown role 'root' (roles: read, write, admin)");
  CHECK(refused_with("role_map", "read") ==
        "role_map: entries are value=role+role, e.g. db-admin=read+write+admin");
  CHECK(refused_with("hmac_kid", "h") == "hmac_kid: given without hmac_secret_file");
}

}  // namespace keepdb::auth_jwt::testing
