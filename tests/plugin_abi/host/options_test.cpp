// Option schema checks at load time, and redaction of sensitive values.
#include <catch2/catch.hpp>

#include "kernel/plugin_host/plugin_error.h"
#include "kernel/plugin_host/plugin_set.h"
#include "tests/plugin_abi/host/fixture_paths.h"
#include "tests/plugin_abi/host/test_support.h"

namespace keepdb::plugin_host::testing {

TEST_CASE("options: an unknown key is an error naming the plugin and the key", "[options]") {
  TempDir dir;
  RecordingLogSink log;
  CHECK_THROWS_WITH(
      PluginSet::load(plugins({{"f",
                                stage(fixture::kFrozenV1_0, dir),
                                {{"principal", "p"}, {"principle", "typo"}},
                                ""}}),
                      log),
      "plugin 'f' (frozen-v1-0): unknown option 'principle'; it accepts: principal, api_key");
}

TEST_CASE("options: a missing required key is an error naming it", "[options]") {
  TempDir dir;
  RecordingLogSink log;
  CHECK_THROWS_WITH(
      PluginSet::load(plugins({{"f", stage(fixture::kFrozenV1_0, dir), {}, ""}}), log),
      "plugin 'f' (frozen-v1-0): missing required option 'principal'");
}

TEST_CASE("options: a key given twice is an error", "[options]") {
  TempDir dir;
  RecordingLogSink log;
  CHECK_THROWS_WITH(PluginSet::load(plugins({{"f",
                                              stage(fixture::kFrozenV1_0, dir),
                                              {{"principal", "p"}, {"principal", "q"}},
                                              ""}}),
                                    log),
                    "plugin 'f' (frozen-v1-0): option 'principal' is given twice");
}

TEST_CASE("options: a plugin without options refuses any", "[options]") {
  TempDir dir;
  RecordingLogSink log;
  CHECK_THROWS_WITH(
      PluginSet::load(plugins({{"d", stage(fixture::kDenyAll, dir), {{"x", "1"}}, ""}}), log),
      "plugin 'd' (deny-all): unknown option 'x'; it accepts no options");
}

TEST_CASE("options: sensitive values are never logged, others are", "[options]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins({{"f",
                stage(fixture::kFrozenV1_0, dir),
                {{"principal", "visible-name"}, {"api_key", "s3cr3t-api-key-value"}},
                ""}}),
      log);
  CHECK(log.contains("principal=visible-name"));
  CHECK(log.contains("api_key=<redacted>"));
  CHECK_FALSE(log.contains("s3cr3t-api-key-value"));
}

}  // namespace keepdb::plugin_host::testing
