// examples/plugin-hello, built out of tree by ../out_of_tree/run_example.sh: loaded and
// asked to authenticate through the real host. Hidden ([.]): only that script runs it.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "kernel/plugin_host/library_loader.h"
#include "kernel/plugin_host/plugin_set.h"
#include "tests/plugin_abi/host/test_support.h"

namespace keepdb::plugin_host::testing {

TEST_CASE("example plugin-hello: built out of tree, loads and authenticates", "[.][example]") {
  const char* built = std::getenv("KEEPDB_HELLO_PLUGIN");
  REQUIRE(built != nullptr);
  const LibraryReport report = open_library(built, "");
  REQUIRE(report.status == LoadStatus::kOk);
  CHECK(std::string(report.descriptor->name) == "hello");

  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins({{"hello",
                built,
                {{"user", "ann"}, {"password", "pw-0123456789"}, {"roles", "read,write"}},
                ""}}),
      log);
  // The host prefixes the plugin's lines with its instance label; the plugin adds none.
  CHECK(log.contains("plugin 'hello' (hello): ready for user ann"));
  CHECK_FALSE(log.contains("hello: hello:"));
  CHECK_FALSE(log.contains("(hello): hello: "));
  CHECK_FALSE(log.contains("pw-0123456789"));
  AuthChain chain(set.authenticators(), AuthChainOptions{}, log);
  const AuthOutcome accepted = authenticate(chain, "ann", "pw-0123456789");
  REQUIRE(accepted.verdict == AuthOutcome::Verdict::kAccepted);
  CHECK(accepted.principal.roles == (KDB_ROLE_READ | KDB_ROLE_WRITE));
  CHECK(authenticate(chain, "ann", "pw-wrong").verdict == AuthOutcome::Verdict::kRejected);
  CHECK(authenticate(chain, "zed", "pw-0123456789").verdict == AuthOutcome::Verdict::kRejected);
}

}  // namespace keepdb::plugin_host::testing
