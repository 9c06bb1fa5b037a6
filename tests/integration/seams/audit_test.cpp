// Owns the audit seam end to end with real keepd processes and the audit file fixture:
// every event kind the kernel emits reaches the sink with its stable number and fields,
// no value and no secret ever does; a full queue drops and says so (default) or, with
// fail_closed, refuses write and admin commands with a clear error until the sink records
// again, while reads keep working.
#include <catch2/catch.hpp>

#include "tests/integration/harness/raw_client.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::seams {
namespace {

// The audit file's lines holding every one of `parts`.
bool has_line(const std::string& text, std::initializer_list<std::string_view> parts) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line(text.data() + start, end - start);
    bool all = true;
    for (const std::string_view part : parts)
      all = all && line.find(part) != std::string_view::npos;
    if (all) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

TEST_CASE("seams: audit: each event kind is recorded with its fields and never a value or secret",
          "[seams][audit]") {
  SeamsSetup setup({PluginTable("limit", admission_fixture(), {{"deny_principal", "bob"}}),
                    PluginTable("expiring", expiring_auth_fixture()),
                    PluginTable("audit", audit_fixture(), {{"path", "audit.log"}})});
  setup.accept_risks = {"no-client-tls"};
  SeamsKeepd keepd(std::move(setup));
  keepd.start();
  {
    RawClient alice(keepd.port());
    CHECK(alice.command({"AUTH", "alice", "not-a-secret-it-accepts"}).is_error());
    CHECK(alice.command({"AUTH", "alice", "ttl:600"}).text == "OK");
    CHECK(alice.command({"SET", "audit:key", "value-never-recorded"}).text == "OK");
    CHECK(alice.command({"GET", "audit:key"}).text == "value-never-recorded");
    CHECK(alice.command({"FLUSHDB"}).text == "OK");
    RawClient bob(keepd.port());
    CHECK(bob.command({"AUTH", "bob", "ttl:600"}).text == "OK");
    CHECK(bob.command({"GET", "audit:key"}).text == "ERR rate limit exceeded");
    CHECK(bob.command({"NoSuchCommand"}).text == "ERR rate limit exceeded");
  }
  CHECK(keepd.stop().exited_normally(0));  // drains and flushes the queue
  const std::string text = read_file(keepd.dir() / "audit.log");
  INFO(text);
  CHECK(has_line(text, {"type=10 ", "action=accepted_risk",
                        "detail=[security] accept_risks names no-client-tls"}));
  CHECK(has_line(text, {"type=1 ", "peer=127.0.0.1:", "action=connect outcome=ok"}));
  CHECK(has_line(text, {"type=4 ", "action=auth outcome=failed", "expiring-auth"}));
  CHECK(has_line(text, {"type=3 ", "principal=alice action=auth outcome=ok"}));
  CHECK(has_line(text,
                 {"type=7 ", "principal=alice action=set outcome=admitted detail=key=audit:key"}));
  CHECK(has_line(text, {"type=8 ", "principal=alice action=flushdb"}));
  CHECK(has_line(text, {"type=6 ", "principal=bob action=get outcome=denied"}));
  // Every record names a command in lowercase, one the table does not know too.
  CHECK(has_line(text, {"type=6 ", "principal=bob action=nosuchcommand outcome=denied"}));
  CHECK(has_line(text, {"type=2 ", "action=disconnect"}));
  CHECK_FALSE(has_line(text, {"action=get outcome=admitted"}));  // reads are not recorded
  CHECK(text.find("value-never-recorded") == std::string::npos);
  CHECK(text.find("ttl:600") == std::string::npos);
  CHECK(text.find("not-a-secret-it-accepts") == std::string::npos);
}

TEST_CASE("seams: audit: a full queue drops and counts by default and commands run",
          "[seams][audit]") {
  SeamsSetup setup({PluginTable("audit", audit_fixture(),
                                {{"path", "audit.log"}, {"mode", "slow"}, {"sleep_ms", "50"}})});
  setup.audit_queue = 16;
  SeamsKeepd keepd(std::move(setup));
  keepd.start();
  RawClient client(keepd.port());
  std::vector<std::vector<std::string>> writes;
  for (int i = 0; i < 100; ++i) writes.push_back({"SET", "k" + std::to_string(i), "v"});
  for (const RespValue& reply : client.pipeline(writes)) CHECK(reply.text == "OK");
  CHECK(keepd.wait_for_log("audit queue full (16 records, [plugins] audit_queue): dropping"));
  const std::string stats = client.command({"INFO", "stats"}).text;
  CHECK(stats.find("audit_events_dropped:0\r\n") == std::string::npos);
  CHECK(stats.find("audit_events_dropped:") != std::string::npos);
  CHECK(stats.find("audit_refusing_commands:0\r\n") != std::string::npos);
}

TEST_CASE("seams: audit: a fail_closed sink that cannot record refuses writes until it recovers",
          "[seams][audit]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable(
      "audit", audit_fixture(),
      {{"path", "audit.log"}, {"mode", "fail_while_exists"}, {"gate", "disk-full"}}, true)}));
  write_file(keepd.dir() / "disk-full", "");
  keepd.start();
  RawClient client(keepd.port());
  // The connect record already failed, or the first write's does: writes are refused.
  RespValue refused;
  REQUIRE(poll_until(
      [&] {
        refused = client.command({"SET", "k", "v"});
        return refused.is_error();
      },
      kReplyTimeout));
  CHECK(
      refused.text.starts_with("ERR audit: plugin 'audit' (audit-file-fixture) cannot record "
                               "(fail_closed)"));
  CHECK(client.command({"FLUSHDB"}).text.starts_with("ERR audit:"));
  CHECK(client.command({"GET", "k"}).type != '-');  // reads are not recorded: they run
  CHECK(keepd.wait_for_log("fail_closed: retrying"));
  const std::string stats = client.command({"INFO", "stats"}).text;
  CHECK(stats.find("audit_refusing_commands:1\r\n") != std::string::npos);
  CHECK(stats.find("audit_sink_failures:0\r\n") == std::string::npos);
  std::filesystem::remove(keepd.dir() / "disk-full");
  CHECK(poll_until(
      [&] {
        return client.command({"SET", "k", "after"}).text == "OK";
      },
      kReplyTimeout));
  CHECK(client.command({"GET", "k"}).text == "after");
}

TEST_CASE("seams: audit: a sink that throws is logged and keepd keeps serving", "[seams][audit]") {
  SeamsKeepd keepd(SeamsSetup(
      {PluginTable("audit", audit_fixture(), {{"path", "audit.log"}, {"mode", "throw"}})}));
  keepd.start();
  RawClient client(keepd.port());
  CHECK(client.command({"SET", "k", "v"}).text == "OK");
  CHECK(keepd.wait_for_log("failed to record an audit event"));
  CHECK(keepd.wait_for_log("threw an exception through the ABI"));
  CHECK(client.command({"GET", "k"}).text == "v");
}

}  // namespace keepdb::integration::seams
