// The audit record: every field from the event, every event kind by name, one encoder
// sealing many records as a fresh one would, hashed keys, no secret or value in the file, options refused with clear errors, and the record's time and
// digests against OpenSSL's one-shot functions.
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "plugins/audit/record.h"
#include "tests/unit/audit/audit_test_support.h"

namespace {

using keepdb::audit::test::Event;
using keepdb::audit::test::file_options;
using keepdb::audit::test::LoadedSink;
using keepdb::audit::test::Options;
using keepdb::audit::test::read_lines;
using keepdb::audit::test::TempDir;
using keepdb::test::kOwnerOnly;
using keepdb::test::read_file;
using keepdb::test::write_file;

boost::json::object parse(const std::string& line) {
  return boost::json::parse(line).as_object();
}

std::vector<boost::json::object> records_of(const std::string& path) {
  std::vector<boost::json::object> records;
  for (const std::string& line : read_lines(path)) records.push_back(parse(line));
  return records;
}

}  // namespace

TEST_CASE("audit record carries every field of the event") {
  TempDir dir;
  {
    LoadedSink sink(file_options(dir));
    REQUIRE(sink.status() == KDB_OK);
    REQUIRE(sink.record(Event{}) == KDB_OK);
    Event denied;
    denied.type = 5;
    denied.peer_addr = "[::1]:6001";
    denied.action = "FLUSHALL";
    denied.outcome = "denied";
    denied.detail = "needs the admin role";
    REQUIRE(sink.record(denied) == KDB_OK);
    Event connect;
    connect.type = 1;
    connect.conn_id = 7;
    connect.principal = "";
    connect.action = "connect";
    connect.detail = "";
    connect.peer_addr = "server 2";
    REQUIRE(sink.record(connect) == KDB_OK);
  }
  const auto records = records_of(dir / "audit.log");
  REQUIRE(records.size() == 3);
  const auto& write = records[0];
  CHECK(write.size() == 16);
  CHECK(write.at("seq").to_number<std::uint64_t>() == 1);
  CHECK(write.at("time").as_string() == "2026-12-05T02:29:28.123456Z");
  CHECK(write.at("node").as_string() == "node-1");
  CHECK(write.at("kind").as_string() == "write");
  CHECK(write.at("kind_id").to_number<int>() == 7);
  CHECK(write.at("conn").to_number<int>() == 42);
  CHECK(write.at("client_addr").as_string() == "10.0.0.7");
  CHECK(write.at("client_port").to_number<int>() == 50312);
  CHECK(write.at("principal").as_string() == "alice");
  CHECK(write.at("command").as_string() == "SET");
  CHECK(write.at("key").as_string() == "user:1");
  CHECK(write.at("outcome").as_string() == "ok");
  CHECK(write.at("reason").is_null());
  CHECK(write.at("duration_us").is_null());
  CHECK(write.at("prev").as_string() == keepdb::audit::genesis_hash());
  CHECK(write.at("hash").as_string().size() == 64);

  const auto& denied = records[1];
  CHECK(denied.at("seq").to_number<int>() == 2);
  CHECK(denied.at("prev") == write.at("hash"));
  CHECK(denied.at("kind").as_string() == "denied_role");
  CHECK(denied.at("client_addr").as_string() == "::1");
  CHECK(denied.at("client_port").to_number<int>() == 6001);
  CHECK(denied.at("key").is_null());
  CHECK(denied.at("reason").as_string() == "needs the admin role");
  CHECK(denied.at("outcome").as_string() == "denied");

  const auto& connect = records[2];
  CHECK(connect.at("kind").as_string() == "connect");
  CHECK(connect.at("command").is_null());
  CHECK(connect.at("principal").is_null());
  CHECK(connect.at("client_addr").as_string() == "server 2");
  CHECK(connect.at("client_port").is_null());
}

TEST_CASE("audit record takes key node and duration from an ABI 1.4 event") {
  TempDir dir;
  Options options = file_options(dir);
  std::erase_if(options, [](const auto& option) { return option.first == "node_id"; });
  {
    LoadedSink sink(options);
    REQUIRE(sink.status() == KDB_OK);
    Event denied;  // a reason and a key side by side, a duration, the kernel's node id
    denied.type = 5;
    denied.detail = "NOPERM user alice has no permissions to run the 'getex' command";
    denied.key = "user:\\x00";  // as the kernel escapes a NUL byte
    denied.node_id = "3";
    denied.duration_us = 1234;
    REQUIRE(sink.record(denied) == KDB_OK);
    Event empty_key;  // the empty key is a key
    empty_key.detail = "key=";
    empty_key.key = "";
    REQUIRE(sink.record(empty_key) == KDB_OK);
    Event older;  // a 1.3 host: the key in detail, no node, no duration
    older.struct_size = KDB_SIZE_THROUGH(kdb_audit_event, detail);
    older.node_id = "ignored";
    older.duration_us = 99;
    REQUIRE(sink.record(older) == KDB_OK);
  }
  const auto records = records_of(dir / "audit.log");
  REQUIRE(records.size() == 3);
  CHECK(records[0].at("key").as_string() == "user:\\x00");
  CHECK(records[0].at("reason").as_string().starts_with("NOPERM"));
  CHECK(records[0].at("node").as_string() == "3");
  CHECK(records[0].at("duration_us").to_number<int>() == 1234);
  CHECK(records[1].at("key").as_string() == "");
  CHECK(records[1].at("reason").is_null());
  CHECK(records[1].at("duration_us").is_null());
  CHECK(records[2].at("key").as_string() == "user:1");
  CHECK(records[2].at("node").as_string() == "");
  CHECK(records[2].at("duration_us").is_null());
}

TEST_CASE("audit one encoder sealing many records writes what a fresh one would, in order") {
  // The sealing encoder reuses one record object: members that were strings become null and
  // back, and no value of a record leaks into the next.
  std::vector<Event> events(4);
  events[1].type = 1;
  events[1].principal = "";
  events[1].action = "connect";
  events[1].detail = "";
  events[1].peer_addr = "server 2";
  events[2].detail = "a reason much longer than any value the record before it held";
  events[2].key = "";
  events[2].duration_us = 77;
  events[3].peer_addr = "[::1]:1";
  const keepdb::audit::RecordEncoder reused("node-1", {});
  const keepdb::audit::ChainHasher chain;
  std::string prev = keepdb::audit::genesis_hash();
  for (std::size_t i = 0; i < events.size(); ++i) {
    INFO("record " << i);
    std::string hash;
    const std::string line = reused.sealed_line(events[i].event(), i + 1, prev, chain, hash);
    std::string fresh_hash;
    CHECK(line == keepdb::audit::RecordEncoder("node-1", {})
                      .sealed_line(events[i].event(), i + 1, prev, chain, fresh_hash));
    std::vector<std::string> names;
    for (const auto& member : parse(line)) names.emplace_back(member.key());
    CHECK(names == std::vector<std::string>{"seq", "time", "node", "kind", "kind_id", "conn",
                                            "client_addr", "client_port", "principal",
                                            "command", "key", "outcome", "reason",
                                            "duration_us", "prev", "hash"});
    prev = hash;
  }
}

TEST_CASE("audit every event kind is recorded by its name") {
  const std::vector<std::string> names{"connect",       "disconnect",       "auth_ok", "auth_fail",
                                       "denied_role",   "denied_admission", "write",   "admin",
                                       "config_reload", "accepted_risk"};
  TempDir dir;
  {
    LoadedSink sink(file_options(dir));
    REQUIRE(sink.status() == KDB_OK);
    for (std::uint32_t type = 1; type <= names.size() + 1; ++type) {
      Event event;
      event.type = type;
      REQUIRE(sink.record(event) == KDB_OK);
    }
  }
  const auto records = records_of(dir / "audit.log");
  REQUIRE(records.size() == names.size() + 1);
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(records[i].at("kind").as_string() == names[i]);
    CHECK(keepdb::audit::kind_number(names[i]) == i + 1);
  }
  CHECK(records.back().at("kind").as_string() == "unknown");  // a kind newer than the plugin
  CHECK(records.back().at("kind_id").to_number<int>() == 11);
}

TEST_CASE("audit hashed keys leave no key value or secret in the file") {
  TempDir dir;
  const std::string key_material = "key-hashing-secret-0123456789abcdef";
  const std::string chain_material = "chain-secret-fedcba9876543210";
  write_file(dir / "keys.key", key_material + "\n", kOwnerOnly);
  write_file(dir / "chain.key", chain_material, kOwnerOnly);
  const std::string written_key = "customer:4711:card";
  {
    LoadedSink sink(file_options(dir, {{"hash_keys", "true"},
                                       {"key_hash_key_file", dir / "keys.key"},
                                       {"chain_key_file", dir / "chain.key"}}));
    REQUIRE(sink.status() == KDB_OK);
    Event event;
    event.detail = "key=" + written_key;  // the kernel passes the key, never the value
    REQUIRE(sink.record(event) == KDB_OK);
    REQUIRE(sink.record(event) == KDB_OK);
    for (const std::string& line : sink.log()) CHECK(line.find("secret") == std::string::npos);
  }
  const std::string text = read_file(dir / "audit.log");
  CHECK(text.find(written_key) == std::string::npos);
  CHECK(text.find("4711") == std::string::npos);
  CHECK(text.find(key_material) == std::string::npos);
  CHECK(text.find(chain_material) == std::string::npos);
  CHECK(text.find("secret") == std::string::npos);

  unsigned char digest[32];
  unsigned length = 0;
  HMAC(EVP_sha256(), key_material.data(), static_cast<int>(key_material.size()),
       reinterpret_cast<const unsigned char*>(written_key.data()), written_key.size(), digest,
       &length);
  keepdb::audit::Digest expected{};
  std::copy(digest, digest + 32, expected.begin());
  const auto records = records_of(dir / "audit.log");
  REQUIRE(records.size() == 2);
  CHECK(records[0].at("key").as_string() == "hmac-sha256:" + keepdb::audit::to_hex(expected));
  CHECK(records[1].at("key") == records[0].at("key"));  // the same key correlates
  CHECK(records[0].at("key").as_string() == keepdb::audit::hashed_key(written_key,
                                                               keepdb::audit::Sha256(key_material)));
}

TEST_CASE("audit options are refused with clear errors") {
  TempDir dir;
  write_file(dir / "loose.key", "0123456789abcdef0123", std::filesystem::perms(0640));
  write_file(dir / "short.key", "0123456789", kOwnerOnly);
  write_file(dir / "good.key", "0123456789abcdef0123", kOwnerOnly);
  const std::string log = dir / "audit.log";
  const std::vector<std::pair<Options, std::string>> cases{
      {{}, "option 'path' is required for sink = \"file\""},
      {{{"path", log}, {"sink", "kafka"}}, "option 'sink' must be \"file\" or \"syslog\""},
      {{{"path", log}, {"fsync", "sometimes"}}, "option 'fsync' must be \"every_record\""},
      {{{"path", log}, {"fsync", "none"}, {"fsync_interval_ms", "10"}},
       "option 'fsync_interval_ms' needs fsync = \"interval_ms\""},
      {{{"path", log}, {"fsync_interval_ms", "0"}},
       "option 'fsync_interval_ms' must be an integer from 1 to 60000"},
      {{{"path", log}, {"max_bytes", "100"}}, "option 'max_bytes' must be 0 (never rotate)"},
      {{{"path", log}, {"max_bytes", "lots"}}, "option 'max_bytes' must be an integer"},
      {{{"path", log}, {"keep", "0"}}, "option 'keep' must be an integer from 1 to 1000"},
      {{{"path", log}, {"hash_keys", "yes"}}, "option 'hash_keys' must be true or false"},
      {{{"path", log}, {"hash_keys", "true"}}, "'hash_keys = true' needs 'key_hash_key_file'"},
      {{{"path", log}, {"key_hash_key_file", dir / "good.key"}},
       "'key_hash_key_file' is only used with hash_keys = true"},
      {{{"path", log}, {"chain_key_file", dir / "loose.key"}},
       "must not be accessible by group or others (mode 0640; chmod 600 it)"},
      {{{"path", log}, {"chain_key_file", dir / "short.key"}}, "holds fewer than 16 bytes"},
      {{{"path", log}, {"chain_key_file", dir / "absent.key"}}, "No such file or directory"},
      {{{"path", dir / "no-such-dir/audit.log"}}, "No such file or directory"},
      {{{"path", log}, {"sink", "syslog"}}, "option 'path' applies to sink = \"file\" only"},
      {{{"syslog_facility", "local0"}}, "option 'syslog_facility' applies to sink = \"syslog\""},
      {{{"sink", "syslog"}, {"syslog_facility", "kern"}},
       "option 'syslog_facility' must be auth, authpriv"},
  };
  for (const auto& [options, message] : cases) {
    LoadedSink sink(options);
    INFO("expected: " << message << "; got: " << sink.error());
    CHECK(sink.status() == KDB_E_INVALID);
    CHECK(sink.error().find(message) != std::string::npos);
    CHECK(sink.error().find("0123456789") == std::string::npos);  // never a key's bytes
  }
}

TEST_CASE("audit files are created 0600") {
  TempDir dir;
  LoadedSink sink(file_options(dir, {{"max_bytes", "4096"}}));
  REQUIRE(sink.status() == KDB_OK);
  for (int i = 0; i < 40; ++i) REQUIRE(sink.record(Event{}) == KDB_OK);
  for (const std::string name : {"audit.log", "audit.log.1"}) {
    struct stat info {};
    REQUIRE(::stat((dir / name).c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
  }
}

TEST_CASE("audit record time is RFC 3339 in UTC with microseconds") {
  using keepdb::audit::rfc3339_micros;
  CHECK(rfc3339_micros(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(rfc3339_micros(1'796'437'768'000'001'999ull) == "2026-12-05T02:29:28.000001Z");
  CHECK(rfc3339_micros(1'796'437'768'999'999'999ull) == "2026-12-05T02:29:28.999999Z");
  // The next second, and back: the calendar part is cached per second, never stale.
  CHECK(rfc3339_micros(1'796'437'769'123'456'000ull) == "2026-12-05T02:29:29.123456Z");
  CHECK(rfc3339_micros(1'796'437'768'500'000'000ull) == "2026-12-05T02:29:28.500000Z");
  CHECK(rfc3339_micros(1'798'761'599'000'000'000ull) == "2026-12-31T23:59:59.000000Z");
  CHECK(rfc3339_micros(1'798'761'600'000'000'000ull) == "2027-01-01T00:00:00.000000Z");
}

TEST_CASE("audit digests match OpenSSL's one-shot SHA-256 and HMAC-SHA-256") {
  const std::string key = "chain-key-for-the-test-0123456789";
  const keepdb::audit::Sha256 plain;
  const keepdb::audit::Sha256 keyed(key);
  CHECK_FALSE(plain.keyed());
  CHECK(keyed.keyed());
  for (const std::size_t size : {0u, 1u, 55u, 56u, 64u, 300u, 5000u}) {
    const std::string data(size, 'r');
    keepdb::audit::Digest sha{};
    ::SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), sha.data());
    keepdb::audit::Digest hmac{};
    unsigned length = 0;
    ::HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), hmac.data(),
           &length);
    CAPTURE(size);
    CHECK(plain.digest(data) == sha);
    CHECK(keyed.digest(data) == hmac);
    CHECK(keyed.digest(data) == hmac);  // the keyed context is reused, not consumed
  }
  // Const digests from several threads at once agree: one thread at a time borrows the
  // working context, the others digest with contexts of their own.
  const keepdb::audit::Digest keyed_expected = keyed.digest("same text");
  const keepdb::audit::Digest plain_expected = plain.digest("same text");
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (std::size_t i = 0; i < wrong.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 500; ++round) {
        if (keyed.digest("same text") != keyed_expected) ++wrong[i];
        if (plain.digest("same text") != plain_expected) ++wrong[i];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const int count : wrong) CHECK(count == 0);
}
