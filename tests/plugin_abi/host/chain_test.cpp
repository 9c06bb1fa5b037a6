// Authenticator chain order with real plugins: config order; accept or reject ends it;
// defer asks the next; all-defer rejects.
#include <atomic>
#include <catch2/catch.hpp>
#include <future>

#include "kernel/plugin_host/plugin_set.h"
#include "tests/plugin_abi/host/fixture_paths.h"
#include "tests/plugin_abi/host/test_support.h"

namespace keepdb::plugin_host::testing {
namespace {

using Verdict = AuthOutcome::Verdict;

struct Staged {
  TempDir dir;
  std::filesystem::path accept = stage(fixture::kFrozenV1_0, dir);
  std::filesystem::path deny = stage(fixture::kDenyAll, dir);
  std::filesystem::path defer = stage(fixture::kDeferAll, dir);
};

AuthOutcome run(const config::Plugins& config) {
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(config, log);
  AuthChain chain(set.authenticators(), AuthChainOptions{}, log);
  return authenticate(chain, "", "0123456789abcdef");
}

}  // namespace

TEST_CASE("chain: a deferral passes the attempt to the next authenticator", "[chain]") {
  Staged s;
  const AuthOutcome outcome =
      run(plugins({{"first", s.defer, {}, ""}, {"second", s.accept, {{"principal", "p2"}}, ""}}));
  REQUIRE(outcome.verdict == Verdict::kAccepted);
  CHECK(outcome.principal.authenticator == "second");
}

TEST_CASE("chain: the first accept wins, later authenticators are not asked", "[chain]") {
  Staged s;
  const AuthOutcome outcome =
      run(plugins({{"first", s.accept, {{"principal", "p1"}}, ""}, {"second", s.deny, {}, ""}}));
  REQUIRE(outcome.verdict == Verdict::kAccepted);
  CHECK(outcome.principal.name == "p1");
}

TEST_CASE("chain: a reject before an accept rejects", "[chain]") {
  Staged s;
  const AuthOutcome outcome =
      run(plugins({{"first", s.deny, {}, ""}, {"second", s.accept, {{"principal", "p2"}}, ""}}));
  CHECK(outcome.verdict == Verdict::kRejected);
}

TEST_CASE("chain: an empty chain rejects and says so", "[chain]") {
  RecordingLogSink log;
  AuthChain chain({}, AuthChainOptions{}, log);
  CHECK(chain.empty());
  const AuthOutcome outcome = authenticate(chain, "", "0123456789abcdef");
  CHECK(outcome.verdict == Verdict::kRejected);
  CHECK(outcome.reason == "no authenticator is configured");
}

TEST_CASE("chain: many concurrent attempts are each answered once", "[chain]") {
  Staged s;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins({{"d", s.defer, {}, ""}, {"a", s.accept, {{"principal", "p"}}, ""}}), log);
  std::atomic<int> accepted{0};
  std::promise<void> all_done;
  constexpr int kAttempts = 200;
  std::atomic<int> remaining{kAttempts};
  {
    AuthChain chain(set.authenticators(), AuthChainOptions{3, std::chrono::seconds(5), 1000}, log);
    for (int i = 0; i < kAttempts; ++i) {
      AuthRequest request;
      request.secret = kdb::sdk::SecretBytes("0123456789abcdef");
      chain.authenticate(std::move(request), [&](AuthOutcome outcome) {
        if (outcome.verdict == Verdict::kAccepted) ++accepted;
        if (--remaining == 0) all_done.set_value();
      });
    }
    all_done.get_future().wait();
  }
  CHECK(accepted == kAttempts);
}

}  // namespace keepdb::plugin_host::testing
