// Issue 18 item 4, two audit sinks side by side in one real keepd: plugins/audit twice, a
// JSON Lines file instance and a syslog instance whose socket is one the test binds (a
// stand-in for the local daemon), behind plugins/auth-token. Failed and accepted AUTHs,
// commands refused for lack of a role, writes and an admin command reach both sinks as the
// same records in the same order; the syslog messages are RFC 5424 with the record as MSG;
// neither holds a token or a written value. The records carry the ABI 1.4 fields: the
// kernel's node id, the command's key, the authentication's duration, and the command
// table's name of a command however the client typed it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/audit/audit_records.h"
#include "tests/integration/audit/syslog_receiver.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/temp_dir.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::audit {
namespace {

constexpr char kOpsToken[] = "ops-token-5b0e7c93d1a2f468";
constexpr char kProducerToken[] = "producer-token-81c4e6a9f03b27d5";
constexpr char kWrongToken[] = "wrong-token-d94a2b6e10c7f385";
constexpr char kValue[] = "value-never-recorded-6f2e";
constexpr int kAuthpriv = 10;

// The members both sinks derive from the event (the file adds prev and hash).
boost::json::object event_fields(boost::json::object record) {
  record.erase("prev");
  record.erase("hash");
  return record;
}

}  // namespace

TEST_CASE("audit side by side: a file sink and a syslog sink record the same events",
          "[audit][syslog]") {
  TempDir socket_dir("audit-syslog");  // short: a Unix socket path has at most 107 bytes
  const std::filesystem::path socket = socket_dir / "log.sock";
  SyslogReceiver daemon(socket);
  seams::SeamsKeepd keepd(seams::SeamsSetup(
      {PluginTable("tokens", auth_token_plugin(), {{"secrets_file", "secrets"}}),
       PluginTable("audit-file", audit_plugin(), {{"path", "audit.log"}, {"fsync", "none"}}),
       PluginTable("audit-syslog", audit_plugin(),
                   {{"sink", "syslog"}, {"syslog_socket", socket.string()}})}));
  write_file(keepd.dir() / "secrets", secrets_line(kOpsToken, "read,write,admin", "ops") +
                                          secrets_line(kProducerToken, "write", "producer"));
  std::filesystem::permissions(keepd.dir() / "secrets", std::filesystem::perms::owner_read |
                                                            std::filesystem::perms::owner_write);
  keepd.start();
  {
    RawClient producer(keepd.port());
    CHECK(producer.command({"AUTH", kWrongToken}).is_error());
    REQUIRE(producer.command({"AUTH", kProducerToken}).text == "OK");
    REQUIRE(producer.command({"SET", "side:key", kValue}).text == "OK");
    CHECK(producer.command({"GETEX", "side:key", "PERSIST"}).text.starts_with("NOPERM"));
    CHECK(producer.command({"FlushDB"}).text.starts_with("NOPERM"));
    RawClient ops(keepd.port());
    REQUIRE(ops.command({"AUTH", kOpsToken}).text == "OK");
    REQUIRE(ops.command({"set", "ops:key", kValue}).text == "OK");
    REQUIRE(ops.command({"FLUSHDB"}).text == "OK");
  }
  const std::filesystem::path file = keepd.dir() / "audit.log";
  REQUIRE(poll_until(
      [&] {
        return matching(read_records(file), {{"kind", "disconnect"}}).size() == 2;
      },
      kReplyTimeout));
  CHECK(keepd.stop().exited_normally(0));  // drains and flushes the queue

  const auto records = read_records(file);
  REQUIRE(daemon.wait_for(records.size()));
  const std::vector<std::string> datagrams = daemon.messages();
  REQUIRE(datagrams.size() == records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    INFO(datagrams[i]);
    const auto message = parse_rfc5424(datagrams[i]);
    REQUIRE(message);
    CHECK(message->record == event_fields(records[i]));
    CHECK(message->msgid == text_of(records[i], "kind"));
    CHECK(message->app_name == "keepd");
    CHECK(message->structured_data == "-");
    CHECK(message->timestamp == text_of(records[i], "time"));
    const std::string outcome = text_of(records[i], "outcome");
    const bool refused = outcome == "denied" || outcome == "failed";
    CHECK(message->priority == kAuthpriv * 8 + (refused ? 4 : 5));
  }

  // What the records hold: the kernel's node id, keys, AUTH's duration, table names.
  for (const auto& record : records) CHECK(text_of(record, "node") == "1");
  const auto failed = matching(records, {{"kind", "auth_fail"}, {"principal", kNull}});
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].at("duration_us").is_number());
  const auto accepted = matching(records, {{"kind", "auth_ok"}});
  REQUIRE(accepted.size() == 2);
  for (const auto& record : accepted) CHECK(record.at("duration_us").is_number());
  CHECK(matching(records, {{"kind", "write"},
                           {"command", "set"},
                           {"key", "side:key"},
                           {"principal", "producer"},
                           {"duration_us", kNull}})
            .size() == 1);
  CHECK(matching(records,
                 {{"kind", "write"}, {"command", "set"}, {"key", "ops:key"}, {"principal", "ops"}})
            .size() == 1);
  CHECK(
      matching(records, {{"kind", "denied_role"}, {"command", "getex"}, {"principal", "producer"}})
          .size() == 1);
  CHECK(matching(records,
                 {{"kind", "denied_role"}, {"command", "flushdb"}, {"principal", "producer"}})
            .size() == 1);
  CHECK(matching(records,
                 {{"kind", "admin"}, {"command", "flushdb"}, {"principal", "ops"}, {"key", kNull}})
            .size() == 1);

  std::string everything = read_file(file);
  for (const std::string& datagram : datagrams) everything += datagram;
  for (const char* secret : {kOpsToken, kProducerToken, kWrongToken, kValue}) {
    INFO(secret);
    CHECK(everything.find(secret) == std::string::npos);
  }
  const ProgramResult verified = verify({file});
  INFO(verified.out << verified.err);
  CHECK(verified.status.exited_normally(0));
}

}  // namespace keepdb::integration::audit
