// Authentication outcomes in INFO security and the operator listener's /metrics: a failed
// AUTH and a successful one move keepdb_auth_total and auth_failures / auth_successes, a
// command the caller's roles do not allow moves the roles denial counter, and INFO security
// lists the loaded auth-token plugin with its kind.
#include <catch2/catch.hpp>

#include "tests/integration/auth/auth_keepd.h"
#include "tests/integration/auth/auth_support.h"
#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/info_text.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/operator/operator_client.h"

namespace keepdb::integration::auth {

TEST_CASE("auth: metrics: failed and successful AUTH and a roles denial are counted",
          "[auth][metrics]") {
  const std::uint16_t operator_port = free_port();
  AuthSetup setup = standard_setup();
  setup.extra_tables = operator_table(operator_port);
  AuthKeepd node(setup);
  node.start();
  const Samples before = scrape_metrics(operator_port);

  RawClient client(node.port());
  CHECK(auth(client, {std::string(kUnknownToken)}).is_error());
  REQUIRE(auth(client, {kDashboard.token}).text == "OK");
  CHECK(client.command({"SET", "metrics:key", "v"}).is_error());  // read role only

  const Samples after = scrape_metrics(operator_port);
  const SampleDelta moved{before, after};
  CHECK(moved(R"(keepdb_auth_total{outcome="failed"})") == 1);
  CHECK(moved(R"(keepdb_auth_total{outcome="ok"})") == 1);
  CHECK(moved(R"(keepdb_commands_denied_total{reason="roles"})") == 1);
  CHECK(sample(after, R"(keepdb_plugin_call_duration_seconds_count{kind="authenticator"})") >= 2);

  const std::string security = client.command({"INFO", "security"}).text;
  CHECK(info_field(security, "auth_required") == "1");
  CHECK(info_field(security, "auth_failures") == "1");
  CHECK(info_field(security, "auth_successes") == "1");
  CHECK(info_field(security, "denied_by_role") == "1");
  CHECK(info_field(security, "loaded_plugins") == "1");
  CHECK(info_field(security, "plugin_0").starts_with("name=tokens,provider=auth-token,version="));
  CHECK(info_field(security, "plugin_0").ends_with(",kinds=authenticator"));
}

}  // namespace keepdb::integration::auth
