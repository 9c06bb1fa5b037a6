// One test per fixture plugin: what the real host does with it.
#include <catch2/catch.hpp>
#include <chrono>

#include "kernel/plugin_host/library_loader.h"
#include "kernel/plugin_host/plugin_error.h"
#include "kernel/plugin_host/plugin_set.h"
#include "tests/plugin_abi/host/fixture_paths.h"
#include "tests/plugin_abi/host/test_support.h"
#include "tests/support/deadline.h"

namespace keepdb::plugin_host::testing {
namespace {

using Verdict = AuthOutcome::Verdict;

AuthChain chain_of(const PluginSet& set, RecordingLogSink& log,
                   std::chrono::milliseconds deadline = std::chrono::milliseconds(2000)) {
  return AuthChain(set.authenticators(), AuthChainOptions{2, deadline, 64}, log);
}

}  // namespace

TEST_CASE("frozen_v1_0: a plugin built from the frozen ABI 1.0 header loads and authenticates",
          "[fixture]") {
  TempDir dir;
  const LibraryReport report = open_library(stage(fixture::kFrozenV1_0, dir), "");
  REQUIRE(report.status == LoadStatus::kOk);
  CHECK(report.abi_major == 1);
  CHECK(report.abi_minor == 0);
  CHECK(std::string(report.descriptor->name) == "frozen-v1-0");

  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins({{"old", stage(fixture::kFrozenV1_0, dir), {{"principal", "carol"}}, ""}}), log);
  AuthChain chain = chain_of(set, log);
  const AuthOutcome outcome = authenticate(chain, "", "any secret at all");
  REQUIRE(outcome.verdict == Verdict::kAccepted);
  CHECK(outcome.principal.name == "carol");
  CHECK(outcome.principal.roles == KDB_ROLE_READ);
  CHECK(outcome.principal.authenticator == "old");
}

TEST_CASE("throws: an exception through the ABI fails only that call", "[fixture]") {
  TempDir dir;
  RecordingLogSink log;
  const auto path = stage(fixture::kThrows, dir);

  SECTION("escaping authenticate: the attempt fails, the kernel keeps going") {
    const PluginSet set = PluginSet::load(plugins({{"raw", path, {}, ""}}), log);
    AuthChain chain = chain_of(set, log);
    for (int i = 0; i < 3; ++i) {
      const AuthOutcome outcome = authenticate(chain, "", "0123456789abcdef");
      CHECK(outcome.verdict == Verdict::kFailed);
      CHECK(outcome.reason.find("threw an exception through the ABI") != std::string::npos);
    }
  }
  SECTION("behind the SDK's KDB_GUARD: KDB_E_INTERNAL with the exception's message") {
    const PluginSet set =
        PluginSet::load(plugins({{"guarded", path, {{"guarded", "true"}}, ""}}), log);
    AuthChain chain = chain_of(set, log);
    const AuthOutcome outcome = authenticate(chain, "", "0123456789abcdef");
    CHECK(outcome.verdict == Verdict::kFailed);
    CHECK(outcome.reason.find("KDB_E_INTERNAL: boom from the throws fixture") != std::string::npos);
  }
  SECTION("escaping create: loading stops with a clear error") {
    CHECK_THROWS_WITH(PluginSet::load(plugins({{"c", path, {{"where", "create"}}, ""}}), log),
                      "plugin 'c' (throws): create failed: threw an exception through the ABI");
  }
  SECTION("create behind KDB_GUARD: the plugin's message") {
    CHECK_THROWS_WITH(
        PluginSet::load(plugins({{"c", path, {{"where", "create"}, {"guarded", "true"}}, ""}}),
                        log),
        "plugin 'c' (throws): create failed (KDB_E_INTERNAL): boom from the throws fixture");
  }
}

TEST_CASE("bad_struct_size: a descriptor smaller than ABI 1.0's is refused", "[fixture]") {
  TempDir dir;
  const LibraryReport report = open_library(stage(fixture::kBadStructSize, dir), "");
  CHECK(report.status == LoadStatus::kBadDescriptor);
  CHECK(report.reason.find("descriptor struct_size 8 is smaller than ABI 1.0's") !=
        std::string::npos);
}

TEST_CASE("wrong_abi: a descriptor naming another ABI major is refused", "[fixture]") {
  TempDir dir;
  const LibraryReport report = open_library(stage(fixture::kWrongAbi, dir), "");
  CHECK(report.status == LoadStatus::kAbiMismatch);
  CHECK(report.abi_major == 2);
  CHECK(report.reason == "plugin declares ABI major 2; this host speaks 1");
  RecordingLogSink log;
  CHECK_THROWS_WITH(PluginSet::load(plugins({{"w", stage(fixture::kWrongAbi, dir), {}, ""}}), log),
                    Catch::Contains("plugin 'w'") && Catch::Contains("ABI mismatch"));
}

TEST_CASE("no_entry_symbol: a library without kdb_plugin_entry_v1 is refused", "[fixture]") {
  TempDir dir;
  const LibraryReport report = open_library(stage(fixture::kNoEntrySymbol, dir), "");
  CHECK(report.status == LoadStatus::kMissingEntrySymbol);
  CHECK(report.reason == "no exported symbol kdb_plugin_entry_v1");
}

TEST_CASE("not_a_library: a text file named .so is refused before dlopen", "[fixture]") {
  TempDir dir;
  const LibraryReport report = open_library(stage(fixture::kNotALibrary, dir), "");
  CHECK(report.status == LoadStatus::kNotSharedObject);
  CHECK(load_status_name(report.status) == "not a shared object");
  CHECK(report.sha256.size() == 64);
}

TEST_CASE("slow_auth: the deadline answers and other attempts still run", "[fixture]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet slow = PluginSet::load(
      plugins({{"slow", stage(fixture::kSlowAuth, dir), {{"sleep_ms", "800"}}, ""}}), log);
  const PluginSet quick = PluginSet::load(
      plugins({{"quick", stage(fixture::kFrozenV1_0, dir), {{"principal", "q"}}, ""}}), log);
  AuthChain slow_chain = chain_of(slow, log, std::chrono::milliseconds(100));
  AuthChain quick_chain = chain_of(quick, log);

  const auto start = std::chrono::steady_clock::now();
  const AuthOutcome late = authenticate(slow_chain, "", "0123456789abcdef");
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(late.verdict == Verdict::kFailed);
  CHECK(late.reason == "deadline of 100 ms passed waiting for plugin 'slow'");
  CHECK(waited < std::chrono::milliseconds(700));
  CHECK(authenticate(quick_chain, "", "x").verdict == Verdict::kAccepted);
}

TEST_CASE("slow_auth: a return after the deadline is logged as late, not as a completion",
          "[fixture]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet slow = PluginSet::load(
      plugins({{"slow", stage(fixture::kSlowAuth, dir), {{"sleep_ms", "300"}}, ""}}), log);
  {
    AuthChain chain = chain_of(slow, log, std::chrono::milliseconds(50));
    CHECK(authenticate(chain, "", "0123456789abcdef").verdict == Verdict::kFailed);
  }  // the chain's destructor waits for the plugin call to return
  CHECK(log.contains("plugin 'slow' (slow-auth) returned KDB_OK for ticket "));
  CHECK(log.contains(" after the attempt had ended (deadline); the answer is ignored"));
  CHECK_FALSE(log.contains("completed ticket"));
}

TEST_CASE("deny_all: a rejection ends the chain", "[fixture]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins({{"deny", stage(fixture::kDenyAll, dir), {}, ""},
               {"accept", stage(fixture::kFrozenV1_0, dir), {{"principal", "a"}}, ""}}),
      log);
  AuthChain chain = chain_of(set, log);
  const AuthOutcome outcome = authenticate(chain, "", "0123456789abcdef");
  CHECK(outcome.verdict == Verdict::kRejected);
  CHECK(outcome.reason == "plugin 'deny' (deny-all) rejected: denied by the deny_all fixture");
}

TEST_CASE("defer_all: when every authenticator defers, the attempt is rejected", "[fixture]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(plugins({{"d1", stage(fixture::kDeferAll, dir), {}, ""},
                                                 {"d2", stage(fixture::kDeferAll, dir), {}, ""}}),
                                        log);
  AuthChain chain = chain_of(set, log);
  const AuthOutcome outcome = authenticate(chain, "", "0123456789abcdef");
  CHECK(outcome.verdict == Verdict::kRejected);
  CHECK(outcome.reason ==
        "every authenticator deferred (plugin 'd1' (defer-all) deferred: not mine; "
        "plugin 'd2' (defer-all) deferred: not mine)");
  // The chain leaves logging the outcome to its caller, which logs it once (the gateway).
  CHECK_FALSE(log.contains("authentication refused"));
}

TEST_CASE("pending_auth: KDB_PENDING completes through host->auth_complete", "[fixture]") {
  TempDir dir;
  RecordingLogSink log;
  const auto path = stage(fixture::kPendingAuth, dir);

  SECTION("completion from the plugin's thread accepts") {
    const PluginSet set = PluginSet::load(plugins({{"async", path, {}, ""}}), log);
    AuthChain chain = chain_of(set, log);
    const AuthOutcome outcome = authenticate(chain, "", "0123456789abcdef");
    REQUIRE(outcome.verdict == Verdict::kAccepted);
    CHECK(outcome.principal.name == "pending");
    CHECK(outcome.principal.roles == KDB_ROLE_WRITE);
  }
  SECTION("a completion that never comes meets the deadline") {
    const PluginSet set =
        PluginSet::load(plugins({{"mute", path, {{"complete", "never"}}, ""}}), log);
    AuthChain chain = chain_of(set, log, std::chrono::milliseconds(50));
    CHECK(authenticate(chain, "", "0123456789abcdef").verdict == Verdict::kFailed);
  }
  SECTION("a completion after the deadline is ignored") {
    const PluginSet set =
        PluginSet::load(plugins({{"late", path, {{"delay_ms", "150"}}, ""}}), log);
    {
      AuthChain chain = chain_of(set, log, std::chrono::milliseconds(20));
      CHECK(authenticate(chain, "", "0123456789abcdef").verdict == Verdict::kFailed);
    }
    // The plugin's thread completes while the set (and its instance) still exists: poll for
    // its log line with a deadline.
    CHECK(test::poll_until(
        [&] { return log.contains("that is not pending (late or repeated); ignored"); },
        std::chrono::seconds(10)));
  }
}

TEST_CASE("misbehaving: ABI contract breaches fail the call with a clear reason", "[fixture]") {
  TempDir dir;
  RecordingLogSink log;
  const auto path = stage(fixture::kMisbehaving, dir);
  const auto [mode, expected] = GENERATE(table<std::string, std::string>({
      {"unknown_status", "returned unknown status 42"},
      {"error_overflow", "set len past the error buffer's cap (1024 bytes)"},
      {"name_overflow", "set len past the principal name buffer's cap (256 bytes)"},
      {"name_moved", "moved the principal name buffer's ptr or cap"},
      {"bad_roles", "reported unknown role bits"},
  }));
  const PluginSet set = PluginSet::load(plugins({{"m", path, {{"mode", mode}}, ""}}), log);
  AuthChain chain = chain_of(set, log);
  const AuthOutcome outcome = authenticate(chain, "", "0123456789abcdef");
  CHECK(outcome.verdict == Verdict::kFailed);
  CHECK(outcome.reason == "plugin 'm' (misbehaving) " + expected);
}

TEST_CASE("overflow: a write past a lent buffer disables the plugin, the host stays up",
          "[fixture][overflow]") {
  TempDir dir;
  RecordingLogSink log;
  const auto path = stage(fixture::kOverflow, dir);
  const auto [target, buffer] = GENERATE(table<std::string, std::string>({
      {"name", "principal name buffer (256 bytes)"},
      {"error", "error buffer (1024 bytes)"},
  }));
  const PluginSet set = PluginSet::load(plugins({{"o", path, {{"target", target}}, ""},
                                                 {"d", stage(fixture::kDenyAll, dir), {}, ""}}),
                                        log);
  AuthChain chain = chain_of(set, log);

  const AuthOutcome first = authenticate(chain, "", "0123456789abcdef");
  CHECK(first.verdict == Verdict::kFailed);
  CHECK(first.reason ==
        "plugin 'o' (overflow) wrote past the end of the " + buffer + "; plugin disabled");
  CHECK(log.contains("plugin 'o' (overflow) wrote past the end of the " + buffer +
                     "; plugin disabled, every later authentication through it fails"));

  // Disabled: later attempts fail without entering the plugin, and do not reach the
  // authenticators after it.
  const AuthOutcome second = authenticate(chain, "", "0123456789abcdef");
  CHECK(second.verdict == Verdict::kFailed);
  CHECK(second.reason ==
        "plugin 'o' (overflow) is disabled: it wrote past the end of a host buffer earlier");
}

TEST_CASE("overflow: a write past create's error buffer refuses the plugin",
          "[fixture][overflow]") {
  TempDir dir;
  RecordingLogSink log;
  const auto path = stage(fixture::kOverflow, dir);
  CHECK_THROWS_WITH(PluginSet::load(plugins({{"o", path, {{"target", "create"}}, ""}}), log),
                    "plugin 'o' (overflow): create failed: wrote past the end of the buffer lent "
                    "for its error message (1024 bytes)");
}

}  // namespace keepdb::plugin_host::testing
