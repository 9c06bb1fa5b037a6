// Owns plugin start-up as an operator meets it: a secrets file others can read and a
// sha256 pin that does not match each stop keepd with exit 1 and a message naming the
// plugin; the pin `keepd plugins list` prints lets it start; `keepd plugins list --json`
// reports the auth-token plugin ok (exit 0) and a text file named .so as not a shared
// object (exit 1).
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/integration/auth/auth_keepd.h"
#include "tests/integration/auth/auth_support.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration::auth {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct Listing {
  ExitStatus status;
  json::array plugins;  // one object per library
  std::string output;   // stdout and stderr, for failure messages
};

// keepd plugins list --dir DIR --json, parsed.
Listing list_plugins(const fs::path& dir) {
  const ProgramResult run =
      run_program({keepd_binary().string(), "plugins", "list", "--dir", dir.string(), "--json"});
  Listing listing{run.status, {}, run.out + run.err};
  const json::value parsed = json::parse(run.out);
  listing.plugins = parsed.at("plugins").as_array();
  return listing;
}

// The listing's entry for the library file `file_name`; fails the test if there is none.
json::object entry_for(const Listing& listing, const std::string& file_name) {
  for (const json::value& plugin : listing.plugins) {
    if (fs::path(json::value_to<std::string>(plugin.at("file"))).filename() == file_name) {
      return plugin.as_object();
    }
  }
  FAIL("no entry for " << file_name << " in: " << listing.output);
  return {};
}

std::string text_of(const json::object& object, std::string_view key) {
  return json::value_to<std::string>(object.at(key));
}

TEST_CASE("auth: startup: a secrets file group or others can read stops keepd, naming the plugin",
          "[auth][startup]") {
  AuthSetup setup = standard_setup();
  setup.secrets_mode = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                       fs::perms::others_read;  // 0644
  AuthKeepd node(std::move(setup));
  const ExitStatus status = node.start_expecting_exit();
  const std::string log = node.log();
  CAPTURE(log);
  CHECK(status.exited_normally(1));
  const std::string failure = line_with(log, {"cannot run:", "plugin 'tokens'", "0644"});
  CHECK_FALSE(failure.empty());
  CHECK(failure.find("chmod 600") != std::string::npos);
  CHECK(log.find("ready: clients on") == std::string::npos);
}

TEST_CASE("auth: startup: a sha256 pin that does not match refuses the plugin", "[auth][startup]") {
  AuthSetup setup = standard_setup();
  setup.tokens_sha256 = std::string(64, '0');
  AuthKeepd node(std::move(setup));
  const ExitStatus status = node.start_expecting_exit();
  const std::string log = node.log();
  CAPTURE(log);
  CHECK(status.exited_normally(1));
  CHECK_FALSE(line_with(log, {"cannot run:", "plugin 'tokens'", "checksum mismatch"}).empty());
}

TEST_CASE("auth: startup: the sha256 pin printed by keepd plugins list lets keepd start",
          "[auth][startup][cli]") {
  TempDir scratch("pin");
  PluginDir listed(scratch / "plugins");
  const std::string file = listed.add(Provider::kTokens);
  const std::string pin = text_of(entry_for(list_plugins(listed.path()), file), "sha256");
  REQUIRE(pin.size() == 64);

  AuthSetup setup = standard_setup();
  setup.tokens_sha256 = pin;  // the copy AuthKeepd makes is byte for byte the same library
  AuthKeepd node(std::move(setup));
  node.start();
  RawClient client(node.port());
  CHECK(auth(client, {kOps.token}).text == "OK");
}

TEST_CASE("auth: plugins list: the auth-token plugin is listed ok in JSON and the exit is 0",
          "[auth][cli]") {
  TempDir scratch("list");
  PluginDir dir(scratch / "plugins");
  const std::string file = dir.add(Provider::kTokens);
  const Listing listing = list_plugins(dir.path());
  CAPTURE(listing.output);
  CHECK(listing.status.exited_normally(0));
  REQUIRE(listing.plugins.size() == 1);
  const json::object token = entry_for(listing, file);
  CHECK(text_of(token, "status") == "ok");
  CHECK(text_of(token, "name") == "auth-token");
  CHECK(text_of(token, "abi").starts_with("1."));
  CHECK(text_of(token, "sha256").size() == 64);
  CHECK(token.at("kinds").as_array() == json::array{"authenticator"});
}

TEST_CASE("auth: plugins list: a text file named .so in the dir makes the exit 1", "[auth][cli]") {
  TempDir scratch("list");
  PluginDir dir(scratch / "plugins");
  const std::string token_file = dir.add(Provider::kTokens);
  const std::string text_file = dir.add(not_a_library_file());
  const Listing listing = list_plugins(dir.path());
  CAPTURE(listing.output);
  CHECK(listing.status.exited_normally(1));
  CHECK(listing.plugins.size() == 2);
  CHECK(text_of(entry_for(listing, token_file), "status") == "ok");
  CHECK(text_of(entry_for(listing, text_file), "status") == "not a shared object");
}

}  // namespace
}  // namespace keepdb::integration::auth
