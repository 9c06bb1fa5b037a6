// VerifierSetup: key files in a scratch directory and the options naming them.
#include "tests/unit/jwt/jwt_test_support.h"

#include <boost/json/serialize.hpp>

namespace keepdb::auth_jwt::testing {

VerifierSetup::VerifierSetup()
    : options{{"algorithms", "HS256,HS384,HS512,RS256,RS384,RS512,PS256,ES256,ES384,EdDSA"},
              {"issuers", std::string(kIssuer)},
              {"audience", std::string(kAudience)}} {}

void VerifierSetup::jwks(
    std::initializer_list<std::pair<std::string_view, const SigningKey*>> keys) {
  boost::json::array list;
  for (const auto& [kid, key] : keys) list.push_back(key->jwk(kid));
  const std::string path = (dir / "keys.jwks").string();
  write_file(path, boost::json::serialize(boost::json::object{{"keys", list}}), kOwnerOnly);
  options["jwks_file"] = path;
}

void VerifierSetup::hmac_file(const SigningKey& key) {
  const std::string path = (dir / "hmac.key").string();
  write_file(path, key.secret(), kOwnerOnly);
  options["hmac_secret_file"] = path;
}

void VerifierSetup::pem_file(const SigningKey& key) {
  const std::string path = (dir / "public.pem").string();
  write_file(path, key.public_pem(), kOwnerOnly);
  options["public_key_file"] = path;
}

Verifier VerifierSetup::create() const {
  return Verifier::create([this](std::string_view key) -> std::optional<std::string_view> {
    const auto found = options.find(key);
    if (found == options.end()) return std::nullopt;
    return std::string_view(found->second);
  });
}

Verdict VerifierSetup::verify(const std::string& token, std::string_view username) const {
  return create().verify(username, token, kNow);
}

std::string token_for(std::string_view alg, const boost::json::object& claims,
                      std::string_view kid) {
  return mint(SigningKey::shared(key_type_for(alg)), alg, claims, kid);
}

}  // namespace keepdb::auth_jwt::testing
