// Owns the rotations a reload carries, with the real providers: auth-jwt keys (options
// naming a new key, a key file made readable by others refused, and a key file rewritten in
// place under the same options), ratelimit limits changed both ways on connections that stay
// open, under load, and the audit sink moved to a new file, with the config_reload event
// recorded for a reload that worked and for one that failed.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "tests/integration/harness/temp_dir.h"
#include "tests/integration/jwt/jwt_keepd.h"
#include "tests/integration/ratelimit/bound_client.h"
#include "tests/integration/reload/reload_support.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::reload {
namespace {

using seams::PluginTable;
using seams::SeamsKeepd;
using seams::SeamsSetup;

constexpr std::string_view kRateLimited = "ERR rate limit exceeded";

// Replies to `count` pipelined GETs that are the rate-limit refusal.
int rate_limited(RawClient& client, int count) {
  const std::vector<std::vector<std::string>> gets(count, {"GET", "k"});
  int limited = 0;
  for (const RespValue& reply : client.pipeline(gets)) {
    if (reply.is_error()) {
      INFO(reply.text);
      CHECK(reply.text.rfind(kRateLimited, 0) == 0);
      ++limited;
    }
  }
  return limited;
}

}  // namespace

TEST_CASE("reload: auth-jwt key rotation accepts the new key and refuses the old one",
          "[reload][jwt]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable("jwt", auth_jwt_library(),
                                           {{"algorithms", "HS256"},
                                            {"issuers", std::string(jwt::kIssuer)},
                                            {"audience", std::string(jwt::kAudience)},
                                            {"hmac_secret_file", "k1.key"},
                                            {"hmac_kid", "k1"}})}));
  const auto k1 = jwt::make_private_key(keepd.dir(), "k1.key", "HS256");
  const auto k2 = jwt::make_private_key(keepd.dir(), "k2.key", "HS256");
  keepd.start();
  const auto mint = [](const std::filesystem::path& key, std::string_view kid,
                       std::string_view subject, std::string_view roles) {
    return jwt::mint_with_script("HS256", key, jwt::claims_json(subject, roles), kid);
  };
  RawClient admin(keepd.port());
  REQUIRE(admin.command({"AUTH", mint(k1, "k1", "ops", R"(["read","write","admin"])")}).text ==
          "OK");
  const std::string old_token = mint(k1, "k1", "alice", R"(["read"])");
  REQUIRE(authenticates(keepd.port(), old_token));

  keepd.setup().plugins[0].options[3].second = "k2.key";
  keepd.setup().plugins[0].options[4].second = "k2";
  keepd.rewrite_config();
  REQUIRE(reload(admin).text == "OK");
  CHECK_FALSE(authenticates(keepd.port(), old_token));
  CHECK(keepd.wait_for_log("unknown kid 'k1'"));
  const std::string new_token = mint(k2, "k2", "alice", R"(["read"])");
  CHECK(authenticates(keepd.port(), new_token));
  CHECK(admin.command({"PING"}).text == "PONG");  // the admin session keeps its principal

  // A key file readable by group and others fails the reload; the running keys stay.
  std::filesystem::permissions(k2, std::filesystem::perms::group_read |
                                       std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  const RespValue refused = reload(admin);
  INFO(refused.describe());
  CHECK(refused.is_error());
  CHECK(refused.text.find("0644") != std::string::npos);
  CHECK(authenticates(keepd.port(), new_token));

  // Same options, the key file rewritten (mode 0600 again): the reload sees the change.
  jwt::make_private_key(keepd.dir(), "k2.key", "HS256");
  REQUIRE(reload(admin).text == "OK");
  CHECK_FALSE(authenticates(keepd.port(), new_token));
  CHECK(authenticates(keepd.port(), mint(k2, "k2", "alice", R"(["read"])")));
}

TEST_CASE("reload: ratelimit limits change both ways on connections that stay open",
          "[reload][ratelimit]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable("limits", ratelimit_library(),
                                           {{"commands_per_second_per_connection", "1"},
                                            {"commands_burst_per_connection", "5"}})}));
  keepd.start();
  // Load on its own connection through both reloads: every reply a value or the refusal,
  // and the connection never dropped.
  std::atomic<bool> stop{false};
  std::atomic<int> unexpected{0};
  std::atomic<int> batches{0};
  std::thread load([&] {
    try {
      RawClient loader(keepd.port());
      const std::vector<std::vector<std::string>> gets(100, {"GET", "k"});
      while (!stop) {
        for (const RespValue& reply : loader.pipeline(gets)) {
          if (reply.is_error() && reply.text.rfind(kRateLimited, 0) != 0) ++unexpected;
        }
        ++batches;
      }
    } catch (const std::exception&) {
      ++unexpected;
    }
  });
  RawClient client(keepd.port());
  RawClient control(keepd.port());  // its own burst of 5 covers its two reloads
  CHECK(rate_limited(client, 50) >= 40);

  auto& options = keepd.setup().plugins[0].options;
  options[0].second = "100000";
  options[1].second = "100000";
  keepd.rewrite_config();
  REQUIRE(reload(control).text == "OK");
  CHECK(rate_limited(client, 2000) == 0);

  options[0].second = "1";
  options[1].second = "5";
  keepd.rewrite_config();
  REQUIRE(reload(control).text == "OK");
  CHECK(rate_limited(client, 50) >= 40);
  CHECK(keepd.wait_for_log("new instances of limits"));
  const int seen = batches;
  CHECK(poll_until([&] { return batches > seen; }, kReplyTimeout));
  stop = true;
  load.join();
  CHECK(unexpected == 0);
}

TEST_CASE("reload: a ratelimit reload keeps the bans", "[reload][ratelimit]") {
  SeamsKeepd keepd(SeamsSetup(
      {PluginTable("tokens", auth_token_library(), {{"secrets_file", "tokens"}}),
       PluginTable("limits", ratelimit_library(),
                   {{"auth_failure_limit", "2"},
                    {"ban_ms", "60000"},
                    {"allow", "127.0.0.1"},
                    {"commands_per_second_per_connection", "1000"}})}));
  const std::string admin_token = new_token();
  write_tokens(keepd.dir() / "tokens", {{admin_token, "read,write,admin", "ops"}});
  keepd.start();
  RawClient admin(keepd.port());
  REQUIRE(admin.command({"AUTH", admin_token}).text == "OK");
  ratelimit::BoundClient attacker(keepd.port(), "127.0.0.2");
  for (int i = 0; i < 3; ++i) attacker.command({"AUTH", "guess-" + std::to_string(i) + new_token()});

  keepd.setup().plugins[1].options[3].second = "2000";
  keepd.rewrite_config();
  REQUIRE(reload(admin).text == "OK");
  CHECK(keepd.wait_for_log("new instances of limits"));
  ratelimit::BoundClient again(keepd.port(), "127.0.0.2");
  const RespValue refused = again.read_reply();
  INFO(refused.describe());
  CHECK(refused.text.rfind("ERR address banned after failed authentications (banned)", 0) == 0);
  CHECK(again.wait_closed());
  ratelimit::BoundClient bystander(keepd.port(), "127.0.0.3");
  CHECK(bystander.command({"AUTH", admin_token}).text == "OK");
}

TEST_CASE("reload: the audit sink moves to a new file and each reload is recorded",
          "[reload][audit]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable("audit", audit_library(), {{"path", "a.log"}})}));
  keepd.start();
  RawClient client(keepd.port());
  REQUIRE(client.command({"SET", "first", "v"}).text == "OK");
  keepd.setup().plugins[0].options[0].second = "b.log";
  keepd.rewrite_config();
  REQUIRE(reload(client).text == "OK");
  REQUIRE(client.command({"SET", "second", "v"}).text == "OK");
  write_file(keepd.config_path(), "[[plugin\n");
  CHECK(reload(client).is_error());
  CHECK(keepd.stop().exited_normally(0));

  const auto old_file = audit_records(keepd.dir() / "a.log");
  const auto new_file = audit_records(keepd.dir() / "b.log");
  REQUIRE(of_kind(old_file, "write").size() == 1);
  CHECK(of_kind(old_file, "write")[0].at("key").as_string() == "first");
  REQUIRE(of_kind(new_file, "write").size() == 1);
  CHECK(of_kind(new_file, "write")[0].at("key").as_string() == "second");
  const auto reloads = of_kind(new_file, "config_reload");
  REQUIRE(reloads.size() == 2);
  CHECK(reloads[0].at("kind_id").as_int64() == 9);
  CHECK(reloads[0].at("outcome").as_string() == "ok");
  CHECK(reloads[0].at("reason").as_string() == "new instances of audit");
  CHECK(reloads[0].at("conn").as_int64() > 0);
  CHECK(reloads[1].at("outcome").as_string() == "failed");
  CHECK(std::string(reloads[1].at("reason").as_string()).rfind("configuration error: ", 0) == 0);
}

}  // namespace keepdb::integration::reload
