// Owns the reload mechanism end to end with real keepd processes (issue 12 item 4):
// KEEPDB.RELOAD and SIGHUP re-read the configuration file and replace the plugins that
// changed; a reload is all or nothing (bad TOML, a plugin whose create fails, a secrets file
// with mode 0644, a setting that needs a restart: the running posture stays and the reply
// says why); only admins may reload; SIGHUP never ends keepd; concurrent reloads are
// serialized; a run-time limit takes effect; CONFIG SET changes run-time limits until the
// next reload, admins only; a reload under a pipelined write load loses no acknowledged
// write and drops no connection.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <thread>

#include "tests/integration/harness/temp_dir.h"
#include "tests/integration/reload/reload_support.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::reload {
namespace {

using seams::PluginTable;
using seams::SeamsKeepd;
using seams::SeamsSetup;

// keepd with the auth-token plugin reading `tokens` beside the config: an admin token and
// a read-write user token.
struct TokenNode {
  TokenNode()
      : keepd(SeamsSetup({PluginTable("tokens", auth_token_library(),
                                      {{"secrets_file", "tokens"}})})) {
    write_grants();
    keepd.start();
  }
  std::filesystem::path secrets() const { return keepd.dir() / "tokens"; }
  void write_grants(std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                  std::filesystem::perms::owner_write) {
    write_tokens(secrets(), {{admin, "read,write,admin", "ops"}, {user, "read,write", "app"}},
                 mode);
  }
  // An admin connection, authenticated.
  std::unique_ptr<RawClient> admin_client() {
    auto client = std::make_unique<RawClient>(keepd.port());
    REQUIRE(client->command({"AUTH", admin}).text == "OK");
    return client;
  }

  std::string admin = new_token();
  std::string user = new_token();
  SeamsKeepd keepd;
};

bool reload_failed_with(const RespValue& reply, std::string_view reason) {
  return reply.is_error() && reply.text.rfind("ERR reload failed: ", 0) == 0 &&
         reply.text.find(reason) != std::string::npos &&
         reply.text.find("the running configuration is kept") != std::string::npos;
}

// Pipelines batches of 100 SETs of new keys ("w<writer>:<batch>:<i>") until `stop`,
// counting the replies that are +OK and those that are not.
void write_until(RawClient& client, int writer, const std::atomic<bool>& stop,
                 std::atomic<std::uint64_t>& acked, std::atomic<std::uint64_t>& refused) {
  for (std::uint64_t batch = 0; !stop; ++batch) {
    std::vector<std::vector<std::string>> sets;
    for (int i = 0; i < 100; ++i) {
      sets.push_back({"SET", "w" + std::to_string(writer) + ":" + std::to_string(batch) + ":" +
                                 std::to_string(i),
                      "v"});
    }
    for (const RespValue& reply : client.pipeline(sets)) {
      if (reply.text == "OK") {
        ++acked;
      } else {
        ++refused;
      }
    }
  }
}

}  // namespace

TEST_CASE("reload: KEEPDB.RELOAD rotates auth-token secrets and sessions keep their principal",
          "[reload]") {
  TokenNode node;
  const auto admin = node.admin_client();
  RawClient session(node.keepd.port());
  REQUIRE(session.command({"AUTH", node.user}).text == "OK");
  REQUIRE(session.command({"SET", "before", "1"}).text == "OK");

  const std::string old_user = std::exchange(node.user, new_token());
  node.write_grants();
  const RespValue reply = reload(*admin);
  INFO(reply.describe());
  CHECK(reply.text == "OK");
  CHECK(node.keepd.wait_for_log("configuration reloaded (KEEPDB.RELOAD from 127.0.0.1:"));
  CHECK(node.keepd.wait_for_log("new instances of tokens"));

  CHECK_FALSE(authenticates(node.keepd.port(), old_user));  // refused on the next AUTH
  CHECK(authenticates(node.keepd.port(), node.user));
  // The session authenticated before the reload keeps its principal until it re-AUTHs.
  CHECK(session.command({"GET", "before"}).text == "1");
  CHECK(session.command({"CLIENT", "INFO"}).text.find("user=app") != std::string::npos);
  CHECK(session.command({"AUTH", old_user}).is_error());

  // Nothing changed: a reload replaces no plugin.
  CHECK(reload(*admin).text == "OK");
  CHECK(node.keepd.wait_for_log("no plugin changed"));
}

TEST_CASE("reload: SIGHUP reloads and never ends keepd, even with a broken file", "[reload]") {
  TokenNode node;
  const std::string old_user = std::exchange(node.user, new_token());
  node.write_grants();
  node.keepd.send_signal(SIGHUP);
  CHECK(poll_until([&] { return authenticates(node.keepd.port(), node.user); }, kReplyTimeout));
  CHECK_FALSE(authenticates(node.keepd.port(), old_user));
  CHECK(node.keepd.wait_for_log("configuration reloaded (SIGHUP)"));

  write_file(node.keepd.config_path(), "this is [not toml\n");
  node.keepd.send_signal(SIGHUP);
  CHECK(node.keepd.wait_for_log("configuration reload (SIGHUP) of "));
  CHECK(node.keepd.wait_for_log("configuration error: "));
  for (int i = 0; i < 5; ++i) node.keepd.send_signal(SIGHUP);
  CHECK(node.keepd.running());
  CHECK(authenticates(node.keepd.port(), node.user));
  CHECK(node.keepd.stop().exited_normally(0));
}

TEST_CASE("reload: KEEPDB.RELOAD needs the admin role and takes no argument", "[reload]") {
  TokenNode node;
  RawClient user(node.keepd.port());
  REQUIRE(user.command({"AUTH", node.user}).text == "OK");
  const RespValue denied = user.command({"KEEPDB.RELOAD"});
  INFO(denied.describe());
  CHECK(denied.is_error());
  CHECK(denied.text.rfind("NOPERM", 0) == 0);
  RawClient anonymous(node.keepd.port());
  CHECK(anonymous.command({"KEEPDB.RELOAD"}).text.rfind("NOAUTH", 0) == 0);
  const auto admin = node.admin_client();
  CHECK(admin->command({"KEEPDB.RELOAD", "now"}).is_error());
  CHECK_FALSE(node.keepd.wait_for_log("configuration reloaded", std::chrono::milliseconds(200)));
}

TEST_CASE("reload: a failed reload keeps the whole running posture", "[reload]") {
  TokenNode node;
  const auto admin = node.admin_client();
  const std::string config = read_file(node.keepd.config_path());
  const std::string kept_user = node.user;

  SECTION("a file that is not TOML") {
    write_file(node.keepd.config_path(), config + "\n[limits\n");
    CHECK(reload_failed_with(reload(*admin), "configuration error: "));
  }
  SECTION("a file larger than 1 MiB") {
    write_file(node.keepd.config_path(), config + "\n#" + std::string(2u << 20, 'x') + "\n");
    CHECK(reload_failed_with(reload(*admin), "configuration error: "));
  }
  SECTION("a file that is gone") {
    std::filesystem::remove(node.keepd.config_path());
    CHECK(reload_failed_with(reload(*admin), "configuration error: "));
  }
  SECTION("a plugin library changed on disk since it was loaded") {
    const auto library = node.keepd.dir() / "plugins" / auth_token_library().filename();
    std::filesystem::remove(library);
    std::filesystem::copy_file(ratelimit_library(), library);
    CHECK(reload_failed_with(reload(*admin), "restart keepd to use it"));
  }
  SECTION("an unknown key") {
    write_file(node.keepd.config_path(), config + "\n[no_such_table]\nkey = 1\n");
    CHECK(reload_failed_with(reload(*admin), "configuration error: "));
  }
  SECTION("a secrets file readable by group and others") {
    node.user = new_token();
    node.write_grants(std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                      std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    CHECK(reload_failed_with(reload(*admin), "0644"));
    CHECK_FALSE(authenticates(node.keepd.port(), node.user));
  }
  SECTION("a plugin whose create fails") {
    write_file(node.secrets(), "not-a-hash read\n");
    CHECK(reload_failed_with(reload(*admin), "plugin 'tokens' (auth-token): create failed"));
  }
  SECTION("an option the plugin does not know") {
    node.keepd.setup().plugins[0].options.emplace_back("no_such_option", "1");
    node.keepd.rewrite_config();
    CHECK(reload_failed_with(reload(*admin), "unknown option 'no_such_option'"));
  }
  SECTION("settings that need a restart") {
    node.keepd.setup().limits = {{"max_bulk_bytes", 4096}};
    node.keepd.setup().plugins.emplace_back("extra", ratelimit_library());
    node.keepd.rewrite_config();
    CHECK(reload_failed_with(
        reload(*admin),
        "restart required: limits.max_bulk_bytes, the set of [[plugin]] tables (name, path, "
        "sha256, fail_closed, order) changed"));
    CHECK(admin->command({"SET", "big", std::string(8192, 'x')}).text == "OK");  // not applied
  }
  CHECK(node.keepd.wait_for_log("failed, the running configuration is kept: "));
  CHECK(authenticates(node.keepd.port(), kept_user));
  CHECK(authenticates(node.keepd.port(), node.admin));
  CHECK(admin->command({"PING"}).text == "PONG");
}

TEST_CASE("reload: a run-time limit takes effect and reloads from many clients are serialized",
          "[reload]") {
  TokenNode node;
  std::vector<std::unique_ptr<RawClient>> admins;
  for (int i = 0; i < 4; ++i) admins.push_back(node.admin_client());
  node.keepd.setup().limits = {{"max_connections", 4}};
  node.keepd.rewrite_config();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (auto& admin : admins) {
    threads.emplace_back([&, client = admin.get()] {
      for (int i = 0; i < 10; ++i) {
        if (reload(*client).text == "OK") ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(ok == 40);
  RawClient fifth(node.keepd.port());
  CHECK(fifth.command({"PING"}).text == "ERR max number of clients reached");
  for (auto& admin : admins) CHECK(admin->command({"PING"}).text == "PONG");
}

TEST_CASE("reload: CONFIG SET changes a run-time limit until the next reload and needs admin",
          "[reload]") {
  TokenNode node;
  RawClient user(node.keepd.port());
  REQUIRE(user.command({"AUTH", node.user}).text == "OK");
  CHECK(user.command({"CONFIG", "SET", "maxclients", "2"}).text.rfind("NOPERM", 0) == 0);
  const auto admin = node.admin_client();
  CHECK(admin->command({"CONFIG", "SET", "maxclients", "2", "timeout", "0"}).text == "OK");
  CHECK(node.keepd.wait_for_log("CONFIG SET from 127.0.0.1:"));
  CHECK(node.keepd.wait_for_log("(ops): maxclients 2, timeout 0 until the next reload"));
  const RespValue values = admin->command({"CONFIG", "GET", "maxclients"});
  REQUIRE(values.elements.size() == 2);
  CHECK(values.elements[1].text == "2");
  RawClient third(node.keepd.port());
  CHECK(third.command({"PING"}).text == "ERR max number of clients reached");
  // One bad value applies nothing of the call.
  CHECK(admin->command({"CONFIG", "SET", "maxclients", "5", "timeout", "x"}).text ==
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be "
        "parsed into an integer");
  CHECK(admin->command({"CONFIG", "GET", "maxclients"}).elements.at(1).text == "2");
  // A reload goes back to the file's value.
  CHECK(reload(*admin).text == "OK");
  CHECK(admin->command({"CONFIG", "GET", "maxclients"}).elements.at(1).text == "10000");
  RawClient fourth(node.keepd.port());
  CHECK(fourth.command({"PING"}).text.rfind("NOAUTH", 0) == 0);
}

TEST_CASE("reload: reloads under a pipelined write load lose no acknowledged write", "[reload]") {
  // The tokens plugin and the audit plugin are replaced on every reload (min_token_length
  // toggles; the audit file changes with every record).
  SeamsKeepd keepd(SeamsSetup(
      {PluginTable("tokens", auth_token_library(),
                   {{"secrets_file", "tokens"}, {"min_token_length", "16"}}),
       PluginTable("audit", audit_library(), {{"path", "audit.log"}, {"fsync", "none"}})}));
  const std::string admin = new_token();
  write_tokens(keepd.dir() / "tokens", {{admin, "read,write,admin", "ops"}});
  keepd.start();

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> refused{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      try {
        RawClient client(keepd.port());
        if (client.command({"AUTH", admin}).text != "OK") throw std::runtime_error("AUTH");
        write_until(client, w, stop, acked, refused);
      } catch (const std::exception&) {  // a dropped connection or a lost reply
        ++refused;
      }
    });
  }
  RawClient control(keepd.port());
  REQUIRE(control.command({"AUTH", admin}).text == "OK");
  int reloads = 0;
  for (int i = 0; i < 20; ++i) {
    poll_until([&] { return acked.load() > static_cast<std::uint64_t>(i + 1) * 300; },
               kReplyTimeout);
    keepd.setup().plugins[0].options[1].second = i % 2 == 0 ? "17" : "16";
    keepd.rewrite_config();
    if (reload(control).text == "OK") ++reloads;
  }
  stop = true;
  for (auto& writer : writers) writer.join();
  CHECK(reloads == 20);
  CHECK(refused == 0);
  INFO("acked writes: " << acked.load());
  CHECK(control.command({"DBSIZE"}).integer == static_cast<std::int64_t>(acked.load()));
  CHECK(keepd.stop().exited_normally(0));
  // The audit chain runs unbroken across the 20 sink replacements.
  const ProgramResult verify =
      run_program({audit_tool().string(), "verify", (keepd.dir() / "audit.log").string()});
  INFO(verify.out << verify.err);
  CHECK(verify.status.exited_normally(0));
  CHECK(of_kind(audit_records(keepd.dir() / "audit.log"), "config_reload").size() == 20);
}

}  // namespace keepdb::integration::reload
