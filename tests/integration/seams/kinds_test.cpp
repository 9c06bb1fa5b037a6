// Owns item 7 end to end: `keepd plugins list` shows which kinds of each plugin this keepd
// drives (all four; a transport no listener names is refused in transport_test.cpp); the
// seams' settings refuse what makes no sense (fail_closed on a non-audit plugin, a tiny queue).
#include <catch2/catch.hpp>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::seams {

TEST_CASE("seams: kinds: keepd plugins list shows the kinds keepd drives", "[seams][kinds]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable("limit", admission_fixture()),
                               PluginTable("audit", audit_fixture(), {{"path", "a.log"}}),
                               PluginTable("tls", transport_kind_fixture())}));
  keepd.start_expecting_exit();  // writes the config (and refuses the unnamed transport)
  const auto result = run_program(
      {keepd_binary().string(), "plugins", "list", "--config", keepd.config_path().string()});
  INFO(result.out);
  CHECK(result.out.find("    driven admission\n") != std::string::npos);
  CHECK(result.out.find("    driven audit\n") != std::string::npos);
  CHECK(result.out.find("    driven transport\n") != std::string::npos);
  CHECK(result.out.find("refused by keepd run") == std::string::npos);
  const auto json = run_program({keepd_binary().string(), "plugins", "list", "--config",
                                 keepd.config_path().string(), "--json"});
  CHECK(json.out.find("\"driven_kinds\":[\"admission\"]") != std::string::npos);
}

TEST_CASE("seams: kinds: fail_closed on a non-audit plugin and a tiny audit queue are refused",
          "[seams][kinds]") {
  SeamsKeepd limit(SeamsSetup({PluginTable("limit", admission_fixture(), {}, true)}));
  CHECK(limit.start_expecting_exit().exited_normally(1));
  CHECK(limit.log().find("fail_closed is set, but the plugin is not of kind audit") !=
        std::string::npos);

  SeamsSetup setup({PluginTable("audit", audit_fixture(), {{"path", "a.log"}})});
  setup.audit_queue = 5;
  SeamsKeepd tiny(std::move(setup));
  CHECK(tiny.start_expecting_exit().exited_normally(1));
  CHECK(tiny.log().find("plugins.audit_queue") != std::string::npos);
}

}  // namespace keepdb::integration::seams
