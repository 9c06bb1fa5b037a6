// Owns item 7 end to end: keepd refuses to start with a plugin of a kind it does not drive
// (transport, until its seam lands), naming the plugin and the kind; `keepd plugins list`
// shows which kinds of each plugin this keepd drives and which it would refuse; the seams'
// settings refuse what makes no sense (fail_closed on a non-audit plugin, a tiny queue).
#include <catch2/catch.hpp>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::seams {

TEST_CASE("seams: kinds: a transport plugin is refused at start with a clear error",
          "[seams][kinds]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable("tls", transport_kind_fixture())}));
  CHECK(keepd.start_expecting_exit().exited_normally(1));
  CHECK(keepd.log().find("plugin 'tls' (") != std::string::npos);
  CHECK(keepd.log().find("declares kind transport, which this keepd does not drive yet") !=
        std::string::npos);
}

TEST_CASE("seams: kinds: keepd plugins list shows the kinds keepd drives", "[seams][kinds]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable("limit", admission_fixture()),
                               PluginTable("audit", audit_fixture(), {{"path", "a.log"}}),
                               PluginTable("tls", transport_kind_fixture())}));
  keepd.start_expecting_exit();  // writes the config (and refuses the transport)
  const auto result = run_program(
      {keepd_binary().string(), "plugins", "list", "--config", keepd.config_path().string()});
  INFO(result.out);
  CHECK(result.out.find("    driven admission\n") != std::string::npos);
  CHECK(result.out.find("    driven audit\n") != std::string::npos);
  CHECK(result.out.find("    refused by keepd run: declares kind transport") != std::string::npos);
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
