// auth-jwt verification cost per algorithm: Verifier::verify on a valid token (size and
// shape checks, base64url, strict JSON of header and payload, key selection by kid, the
// EVP signature check, the claim checks), plus a refused token for comparison. Keys are
// generated in the process and trusted through one JWKS file, as a deployment would.
#include <benchmark/benchmark.h>

#include <boost/json/serialize.hpp>

#include <chrono>
#include <string>

#include "plugins/auth-jwt/verifier.h"
#include "tests/unit/jwt/jwt_mint.h"

namespace {

namespace jwt = keepdb::auth_jwt;
namespace testing = keepdb::auth_jwt::testing;

std::uint64_t now_s() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// The kid each key type is trusted under.
std::string kid_of(jwt::KeyType type) {
  return "kid-" + std::to_string(static_cast<int>(type));
}

// One verifier trusting the shared key of every type (five keys).
const jwt::Verifier& verifier() {
  static const jwt::Verifier instance = [] {
    const testing::TempDir dir;
    boost::json::array keys;
    for (const jwt::KeyType type : {jwt::KeyType::kHmac, jwt::KeyType::kRsa, jwt::KeyType::kEcP256,
                                    jwt::KeyType::kEcP384, jwt::KeyType::kEdwards}) {
      keys.push_back(testing::SigningKey::shared(type).jwk(kid_of(type)));
    }
    const std::string jwks = (dir / "keys.jwks").string();
    testing::write_file(jwks, boost::json::serialize(boost::json::object{{"keys", keys}}),
                        testing::kOwnerOnly);
    return jwt::Verifier::create([&](std::string_view key) -> std::optional<std::string_view> {
      if (key == "algorithms") return "HS256,HS384,HS512,RS256,RS384,RS512,PS256,ES256,ES384,EdDSA";
      if (key == "issuers") return testing::kIssuer;
      if (key == "audience") return testing::kAudience;
      if (key == "jwks_file") return jwks;
      return std::nullopt;
    });
  }();
  return instance;
}

void BM_JwtVerify(benchmark::State& state, const jwt::AlgorithmInfo* alg) {
  const std::uint64_t now = now_s();
  const std::string token = testing::mint(testing::SigningKey::shared(alg->key_type), alg->name,
                                          testing::good_claims(now), kid_of(alg->key_type));
  const jwt::Verifier& v = verifier();
  if (v.verify("", token, now).outcome != jwt::Verdict::Outcome::kAccepted) {
    state.SkipWithError("the token was not accepted");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(v.verify("", token, now));
}

// A token refused before any signature work: an unknown kid.
void BM_JwtRefuseUnknownKid(benchmark::State& state) {
  const std::uint64_t now = now_s();
  const std::string token = testing::mint(testing::SigningKey::shared(jwt::KeyType::kHmac), "HS256",
                                          testing::good_claims(now), "unknown");
  const jwt::Verifier& v = verifier();
  for (auto _ : state) benchmark::DoNotOptimize(v.verify("", token, now));
}
BENCHMARK(BM_JwtRefuseUnknownKid);

const bool kRegistered = [] {
  for (const jwt::AlgorithmInfo& alg : jwt::all_algorithms()) {
    benchmark::RegisterBenchmark(("BM_JwtVerify/" + std::string(alg.name)).c_str(), BM_JwtVerify,
                                 &alg);
  }
  return true;
}();

}  // namespace
