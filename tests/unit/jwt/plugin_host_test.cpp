// libkeepdb_auth_jwt.so loaded by the real plugin host (PluginSet, AuthChain): what reaches
// the kernel (principal, roles, the token's exp as the principal's expiry), the reason of a
// refusal in the log without the token, and instances created from different key files
// (what a reload creates) each accepting their own tokens.
#include <catch2/catch.hpp>

#include <chrono>

#include "kernel/plugin_host/plugin_error.h"
#include "kernel/plugin_host/plugin_set.h"
#include "tests/plugin_abi/host/test_support.h"
#include "tests/unit/jwt/jwt_test_support.h"

#ifndef KEEPDB_AUTH_JWT_SO
#error "KEEPDB_AUTH_JWT_SO is set by tests/unit/jwt/CMakeLists.txt"
#endif

namespace keepdb::auth_jwt::testing {
namespace {

namespace host = plugin_host;
namespace host_testing = plugin_host::testing;
using Verdict = host::AuthOutcome::Verdict;

std::uint64_t wall_now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// One auth-jwt instance in the real host, created from `setup`'s options.
struct LoadedJwt {
  explicit LoadedJwt(const VerifierSetup& setup) {
    host_testing::Options options(setup.options.begin(), setup.options.end());
    set = std::make_unique<host::PluginSet>(host::PluginSet::load(
        host_testing::plugins({{"jwt", host_testing::stage(KEEPDB_AUTH_JWT_SO, dir), options, ""}}),
        log));
    chain = std::make_unique<host::AuthChain>(set->authenticators(), host::AuthChainOptions{}, log);
  }
  host::AuthOutcome authenticate(const std::string& username, const std::string& token) {
    return host_testing::authenticate(*chain, username, token);
  }

  host_testing::TempDir dir;
  host_testing::RecordingLogSink log;
  std::unique_ptr<host::PluginSet> set;
  std::unique_ptr<host::AuthChain> chain;
};

}  // namespace

TEST_CASE("jwt plugin: an accepted token gives the kernel its name roles and exp", "[jwt]") {
  VerifierSetup setup;
  setup.jwks({{"ed", &SigningKey::shared(KeyType::kEdwards)}});
  LoadedJwt jwt(setup);
  CHECK(jwt.log.contains("verifying with 1 key: kid 'ed' an Ed25519/Ed448 public key"));
  const std::uint64_t now = wall_now();
  boost::json::object claims = good_claims(now);
  claims["roles"] = boost::json::array{"read"};
  const host::AuthOutcome outcome = jwt.authenticate("alice", token_for("EdDSA", claims, "ed"));
  INFO(outcome.reason);
  REQUIRE(outcome.verdict == Verdict::kAccepted);
  CHECK(outcome.principal.name == "alice");
  CHECK(outcome.principal.roles == KDB_ROLE_READ);
  CHECK(outcome.principal.expires_unix_s == now + 600);
  CHECK(outcome.principal.authenticator == "jwt");
}

TEST_CASE("jwt plugin: a refusal is logged with its reason and never the token", "[jwt]") {
  VerifierSetup setup;
  setup.jwks({{"ed", &SigningKey::shared(KeyType::kEdwards)}});
  LoadedJwt jwt(setup);
  boost::json::object claims = good_claims(wall_now() - 3600);
  const std::string expired = token_for("EdDSA", claims, "ed");
  const host::AuthOutcome outcome = jwt.authenticate("", expired);
  CHECK(outcome.verdict == Verdict::kRejected);
  CHECK(outcome.reason.find("token expired") != std::string::npos);
  CHECK(outcome.reason.find(expired) == std::string::npos);
  CHECK_FALSE(jwt.log.contains(expired));
  CHECK_FALSE(jwt.log.contains(expired.substr(expired.rfind('.') + 1)));
  // Not a JWT: deferred, so an authenticator after this one may know the password (alone in
  // the chain, a deferral is a rejection).
  const host::AuthOutcome password = jwt.authenticate("", "a-plain-password");
  CHECK(password.verdict == Verdict::kRejected);
  CHECK(password.reason.find("not a JWT") != std::string::npos);
}

TEST_CASE("jwt plugin: two instances created from different key files accept different tokens",
          "[jwt]") {
  const SigningKey old_key = SigningKey::generate(KeyType::kEcP256);
  const SigningKey new_key = SigningKey::generate(KeyType::kEcP256);
  VerifierSetup before;
  before.jwks({{"2025", &old_key}});
  VerifierSetup after;
  after.jwks({{"2026", &new_key}});
  LoadedJwt first(before);
  LoadedJwt second(after);
  const std::uint64_t now = wall_now();
  const std::string old_token = mint(old_key, "ES256", good_claims(now), "2025");
  const std::string new_token = mint(new_key, "ES256", good_claims(now), "2026");
  CHECK(first.authenticate("", old_token).verdict == Verdict::kAccepted);
  CHECK(second.authenticate("", new_token).verdict == Verdict::kAccepted);
  const host::AuthOutcome stale = second.authenticate("", old_token);
  CHECK(stale.verdict == Verdict::kRejected);
  CHECK(stale.reason.find("unknown kid '2025'") != std::string::npos);
  CHECK(first.authenticate("", new_token).verdict == Verdict::kRejected);
}

TEST_CASE("jwt plugin: create refuses bad options with the reason", "[jwt]") {
  VerifierSetup setup;
  setup.jwks({{"ed", &SigningKey::shared(KeyType::kEdwards)}});
  setup.options["algorithms"] = "none";
  try {
    LoadedJwt jwt(setup);
    FAIL("create accepted alg none");
  } catch (const host::PluginError& error) {
    CHECK(std::string(error.what()).find("'none' (unsigned tokens) is never accepted") !=
          std::string::npos);
  }
}

}  // namespace keepdb::auth_jwt::testing
