// The admission chain and the audit queue with real fixture plugins loaded through
// PluginSet: config order and first denial wins, the retry hint, each misbehaviour
// (exception, bad status, error, slow call) contained with a clear line, the queue's drop
// counting and fail_closed refusal, and how a transport is found by name.
#include <catch2/catch.hpp>
#include <chrono>

#include "kernel/plugin_host/admission_chain.h"
#include "kernel/plugin_host/audit_queue.h"
#include "kernel/plugin_host/plugin_error.h"
#include "kernel/plugin_host/plugin_set.h"
#include "tests/plugin_abi/host/fixture_paths.h"
#include "tests/plugin_abi/host/test_support.h"
#include "tests/support/deadline.h"

namespace keepdb::plugin_host::testing {
namespace {

using namespace std::chrono_literals;
using ::keepdb::test::poll_until;
using ::keepdb::test::read_file;

AdmissionQuery command(std::string_view name = "get") {
  AdmissionQuery query;
  query.event = KDB_ADM_COMMAND;
  query.conn_id = 7;
  query.peer_addr = "127.0.0.1";
  query.command = name;
  query.request_bytes = 20;
  return query;
}

// The audit_file fixture, writing to `file`, as the one plugin of a set.
PluginSet audit_file_set(TempDir& dir, const std::filesystem::path& file, LogSink& log) {
  return PluginSet::load(
      plugins({{"file", stage(fixture::kAuditFile, dir), {{"path", file.string()}}, ""}}), log);
}

AuditRecord record(std::string action) {
  return AuditRecord{7, 1, 3, "127.0.0.1:5000", "alice", std::move(action), "admitted", "key=k"};
}

}  // namespace

TEST_CASE("admission: every Nth command is denied with the plugin's retry hint",
          "[seams][admission]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(plugins({{"limit",
                                                  stage(fixture::kAdmission, dir),
                                                  {{"deny_every", "3"}, {"retry_ms", "125"}},
                                                  ""}}),
                                        log);
  const AdmissionChain chain(set.admission(), log);
  CHECK(chain.check(command()).admitted);
  CHECK(chain.check(command()).admitted);
  const AdmissionVerdict third = chain.check(command());
  CHECK_FALSE(third.admitted);
  CHECK(third.retry_after_ms == 125);
  CHECK(third.failure.empty());
  CHECK(chain.check(command()).admitted);
}

TEST_CASE("admission: a banned address is refused at connect and others are not",
          "[seams][admission]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins({{"ban", stage(fixture::kAdmission, dir), {{"ban", "10.1.2.3"}}, ""}}), log);
  const AdmissionChain chain(set.admission(), log);
  AdmissionQuery connect = command();
  connect.event = KDB_ADM_CONNECT;
  CHECK(chain.check(connect).admitted);
  connect.peer_addr = "10.1.2.3";
  CHECK_FALSE(chain.check(connect).admitted);
}

TEST_CASE("admission: plugins are asked in config order and the first denial wins",
          "[seams][admission]") {
  TempDir dir;
  RecordingLogSink log;
  const auto path = stage(fixture::kAdmission, dir);
  // The first denies every command of "mallory"; the second would fail every command.
  const PluginSet set =
      PluginSet::load(plugins({{"first", path, {{"deny_principal", "mallory"}}, ""},
                               {"second", path, {{"mode", "error"}}, ""}}),
                      log);
  const AdmissionChain chain(set.admission(), log);
  AdmissionQuery query = command();
  query.principal = "mallory";
  const AdmissionVerdict verdict = chain.check(query);
  CHECK_FALSE(verdict.admitted);
  CHECK(verdict.failure.empty());  // the first denied: the broken second was not asked
  query.principal = "alice";
  CHECK(chain.check(query).failure.find("plugin 'second'") != std::string::npos);
}

TEST_CASE("admission: a denial carries the plugin's reason made printable and cut to its buffer",
          "[seams][admission]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins({{"limit",
                stage(fixture::kAdmission, dir),
                {{"deny_every", "1"}, {"reason", "quota of team-a\r\nexceeded"}},
                ""}}),
      log);
  const AdmissionChain chain(set.admission(), log);
  const AdmissionVerdict denied = chain.check(command());
  CHECK_FALSE(denied.admitted);
  CHECK(denied.failure.empty());
  CHECK(denied.reason == "quota of team-a??exceeded");
  // A reason longer than the buffer arrives cut at its capacity.
  const PluginSet long_reason = PluginSet::load(
      plugins({{"limit",
                stage(fixture::kAdmission, dir),
                {{"deny_every", "1"}, {"reason", std::string(1000, 'r')}},
                ""}}),
      log);
  const AdmissionChain long_chain(long_reason.admission(), log);
  CHECK(long_chain.check(command()).reason == std::string(kMaxAdmissionReason, 'r'));
}

TEST_CASE("admission: a plugin writing past the reason buffer is disabled and refuses",
          "[seams][admission]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins({{"overrun", stage(fixture::kAdmission, dir), {{"mode", "reason_past_cap"}}, ""}}),
      log);
  const AdmissionChain chain(set.admission(), log);
  const AdmissionVerdict first = chain.check(command());
  CHECK_FALSE(first.admitted);
  CHECK(first.failure.find("wrote past the end of the buffer (the admission reason") !=
        std::string::npos);
  CHECK(log.contains("the request is refused"));
  const AdmissionVerdict later = chain.check(command());
  CHECK_FALSE(later.admitted);
  CHECK(later.failure.find("is disabled") != std::string::npos);
  // The buffer this thread lends next is a fresh one: another plugin is not blamed.
  const PluginSet good =
      PluginSet::load(plugins({{"good", stage(fixture::kAdmission, dir), {}, ""}}), log);
  const AdmissionChain good_chain(good.admission(), log);
  CHECK(good_chain.check(command()).admitted);
}

TEST_CASE("admission: an exception, a bad status or an error refuses the request with a clear line",
          "[seams][admission]") {
  TempDir dir;
  const auto path = stage(fixture::kAdmission, dir);
  for (const auto& [mode, expected] : {std::pair{"throw", "threw an exception through the ABI"},
                                       std::pair{"bad_status", "returned unknown status 42"},
                                       std::pair{"error", "returned KDB_E_INTERNAL"}}) {
    RecordingLogSink log;
    const PluginSet set = PluginSet::load(plugins({{"broken", path, {{"mode", mode}}, ""}}), log);
    const AdmissionChain chain(set.admission(), log);
    const AdmissionVerdict verdict = chain.check(command());
    INFO(mode);
    CHECK_FALSE(verdict.admitted);
    CHECK(verdict.failure.find(expected) != std::string::npos);
    CHECK(verdict.failure.find("plugin 'broken' (admission-fixture)") != std::string::npos);
    CHECK(log.contains("the request is refused"));
    // Many failures, one log line a second.
    for (int i = 0; i < 50; ++i) chain.check(command());
    CHECK(log.all().find("the request is refused") == log.all().rfind("the request is refused"));
  }
}

TEST_CASE("admission: a slow check is logged and still answered", "[seams][admission]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins(
          {{"slow", stage(fixture::kAdmission, dir), {{"mode", "slow"}, {"sleep_ms", "20"}}, ""}}),
      log);
  const AdmissionChain chain(set.admission(), log, 1ms);
  CHECK(chain.check(command()).admitted);
  CHECK(log.contains("to check a command (admission checks must not block"));
}

TEST_CASE("audit: records reach the sink in order and are flushed", "[seams][audit]") {
  TempDir dir;
  RecordingLogSink log;
  const auto file = dir.path() / "audit.log";
  const PluginSet set = audit_file_set(dir, file, log);
  {
    AuditQueue queue(set.audit_sinks(), 16, log);
    CHECK(queue.push(record("set")));
    CHECK(queue.push(record("del")));
    CHECK(poll_until([&] { return read_file(file).find("action=del") != std::string::npos; }, 5s));
    CHECK_FALSE(queue.refusal());
  }
  const std::string text = read_file(file);
  CHECK(text ==
        "type=7 conn=3 peer=127.0.0.1:5000 principal=alice action=set outcome=admitted "
        "detail=key=k\n"
        "type=7 conn=3 peer=127.0.0.1:5000 principal=alice action=del outcome=admitted "
        "detail=key=k\n");
}

TEST_CASE("audit: a record's key reaches the plugin in detail when it has no reason",
          "[seams][audit]") {
  TempDir dir;
  RecordingLogSink log;
  const auto file = dir.path() / "audit.log";
  const PluginSet set = audit_file_set(dir, file, log);
  {
    AuditQueue queue(set.audit_sinks(), 16, log);
    AuditRecord keyed{7, 1, 3, "127.0.0.1:5000", "alice", "set", "admitted", ""};
    keyed.key = "user:1";
    AuditRecord refused = keyed;
    refused.outcome = "refused";
    refused.detail = "the audit queue is full";
    AuditRecord keyless{8, 1, 3, "127.0.0.1:5000", "alice", "flushall", "admitted", ""};
    CHECK(queue.push(keyed));
    CHECK(queue.push(refused));
    CHECK(queue.push(keyless));
  }
  CHECK(read_file(file) ==
        "type=7 conn=3 peer=127.0.0.1:5000 principal=alice action=set outcome=admitted "
        "detail=key=user:1\n"
        "type=7 conn=3 peer=127.0.0.1:5000 principal=alice action=set outcome=refused "
        "detail=the audit queue is full\n"
        "type=8 conn=3 peer=127.0.0.1:5000 principal=alice action=flushall outcome=admitted "
        "detail=\n");
}

TEST_CASE("audit: a full queue drops and counts without fail_closed", "[seams][audit]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins({{"slow",
                stage(fixture::kAuditFile, dir),
                {{"path", (dir.path() / "a.log").string()}, {"mode", "slow"}, {"sleep_ms", "100"}},
                ""}}),
      log);
  AuditQueue queue(set.audit_sinks(), 16, log);
  int dropped = 0;
  for (int i = 0; i < 40; ++i) dropped += queue.push(record("set")) ? 0 : 1;
  CHECK(dropped >= 40 - 17);  // at most the capacity plus the one being recorded
  CHECK(queue.counters().dropped == static_cast<std::uint64_t>(dropped));
  CHECK_FALSE(queue.refusal());  // no fail_closed sink: never refuses
}

TEST_CASE("audit: a failing sink is counted and logged and never stops the others",
          "[seams][audit]") {
  TempDir dir;
  const auto path = stage(fixture::kAuditFile, dir);
  for (const char* mode : {"throw", "bad_status", "error"}) {
    RecordingLogSink log;
    const auto good = dir.path() / (std::string(mode) + ".good");
    const PluginSet set = PluginSet::load(
        plugins({{"broken", path, {{"path", (dir.path() / "x").string()}, {"mode", mode}}, ""},
                 {"good", path, {{"path", good.string()}}, ""}}),
        log);
    AuditQueue queue(set.audit_sinks(), 16, log);
    queue.push(record("set"));
    INFO(mode);
    CHECK(poll_until([&] { return read_file(good).find("action=set") != std::string::npos; }, 5s));
    CHECK(poll_until([&] { return queue.counters().sink_failures >= 1; }, 5s));
    CHECK(log.contains("plugin 'broken' (audit-file-fixture) failed to record an audit event"));
    CHECK(log.contains("the event is lost for this sink"));
  }
}

TEST_CASE("audit: a fail_closed sink that cannot record refuses until it records again",
          "[seams][audit]") {
  TempDir dir;
  RecordingLogSink log;
  const auto file = dir.path() / "audit.log";
  const auto gate = dir.path() / "disk-full";
  write_file(gate, "", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto config =
      plugins({{"strict",
                stage(fixture::kAuditFile, dir),
                {{"path", file.string()}, {"mode", "fail_while_exists"}, {"gate", gate.string()}},
                ""}});
  config.load[0].fail_closed = true;
  const PluginSet set = PluginSet::load(config, log);
  AuditQueue queue(set.audit_sinks(), 16, log, 10ms);
  queue.push(record("set"));
  CHECK(poll_until([&] { return queue.refusal().has_value(); }, 5s));
  CHECK(queue.refusal()->find("plugin 'strict' (audit-file-fixture) cannot record (fail_closed)") !=
        std::string::npos);
  std::filesystem::remove(gate);
  CHECK(poll_until([&] { return !queue.refusal().has_value(); }, 5s));
  CHECK(read_file(file).find("action=set") != std::string::npos);  // retried, not lost
}

TEST_CASE("audit: a full queue with a fail_closed sink refuses", "[seams][audit]") {
  TempDir dir;
  RecordingLogSink log;
  auto config =
      plugins({{"slow",
                stage(fixture::kAuditFile, dir),
                {{"path", (dir.path() / "a.log").string()}, {"mode", "slow"}, {"sleep_ms", "100"}},
                ""}});
  config.load[0].fail_closed = true;
  const PluginSet set = PluginSet::load(config, log);
  AuditQueue queue(set.audit_sinks(), 16, log);
  while (queue.push(record("set"))) {
  }
  REQUIRE(queue.refusal().has_value());
  CHECK(queue.refusal()->find("the audit queue is full (16 records, fail_closed)") !=
        std::string::npos);
  CHECK(poll_until([&] { return !queue.refusal().has_value(); }, 5s));
}

TEST_CASE("plugin set: a transport is found by the name a listener gives and must be named",
          "[seams][kinds]") {
  TempDir dir;
  RecordingLogSink log;
  const auto set = PluginSet::load(
      plugins({{"tls", stage(fixture::kTransportKind, dir), {}, ""},
               {"limit", stage(fixture::kAdmission, dir), {}, ""}}),
      log);
  CHECK(set.transport("tls", "client.transport")->name() == "tls");
  CHECK_THROWS_WITH(set.transport("nope", "client.transport"),
                    Catch::Contains("client.transport = \"nope\": no [[plugin]] table has that name"));
  CHECK_THROWS_WITH(set.transport("limit", "client.transport"),
                    Catch::Contains("that [[plugin]] is not of kind transport"));
  CHECK_NOTHROW(set.require_transports_used({"tls"}));
  CHECK_THROWS_WITH(set.require_transports_used({}),
                    Catch::Contains("is of kind transport, but no listener names it"));
}

TEST_CASE("plugin set: fail_closed on a plugin that is not an audit sink is refused",
          "[seams][kinds]") {
  TempDir dir;
  RecordingLogSink log;
  auto config = plugins({{"limit", stage(fixture::kAdmission, dir), {}, ""}});
  config.load[0].fail_closed = true;
  CHECK_THROWS_WITH(PluginSet::load(config, log),
                    Catch::Contains("fail_closed is set, but the plugin is not of kind audit"));
}

TEST_CASE("plugin set: each kind is sorted into its seam", "[seams][kinds]") {
  TempDir dir;
  RecordingLogSink log;
  const PluginSet set = PluginSet::load(
      plugins(
          {{"limit", stage(fixture::kAdmission, dir), {}, ""},
           {"file", stage(fixture::kAuditFile, dir), {{"path", (dir.path() / "a").string()}}, ""},
           {"deny", stage(fixture::kDenyAll, dir), {}, ""}}),
      log);
  CHECK(set.admission().size() == 1);
  CHECK(set.audit_sinks().size() == 1);
  CHECK(set.authenticators().size() == 1);
  CHECK(kind_names(KDB_KIND_AUTHENTICATOR | KDB_KIND_AUDIT | (1u << 9)) ==
        "authenticator, audit, 0x200");
}

}  // namespace keepdb::plugin_host::testing
