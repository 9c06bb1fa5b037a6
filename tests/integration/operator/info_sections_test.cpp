// INFO's sections against a real keepd: every section present in Redis's format ("# Name"
// headers, "field:value" lines, CRLF), the default set versus all/everything, a single
// section, an unknown one (empty), the fields client libraries parse, and counters that move
// (commands, writes, the store's window commits).
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>

#include "tests/integration/harness/info_text.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"

using namespace keepdb::integration;

namespace {

const std::vector<std::string> kDefaultSections = {
    "# Server", "# Clients", "# Memory", "# Persistence", "# Stats",
    "# Replication", "# CPU", "# Security", "# Keyspace"};

// The "# Name" headers of an INFO reply, in order; fails the test on a line that is neither
// a header nor "field:value", or on a line not ended by CRLF.
std::vector<std::string> headers_of(const std::string& text) {
  static const std::regex kField("[a-z0-9_]+:[^\r\n]*");
  std::vector<std::string> headers;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = text.find("\r\n", at);
    REQUIRE(end != std::string::npos);
    const std::string line = text.substr(at, end - at);
    at = end + 2;
    if (line.empty()) continue;
    if (line.starts_with("# ")) {
      headers.push_back(line);
    } else {
      INFO(line);
      CHECK(std::regex_match(line, kField));
    }
  }
  return headers;
}

std::uint64_t field_number(const std::string& text, std::string_view field) {
  const std::string value = info_field(text, field);
  return value.empty() ? 0 : std::stoull(value);
}

// The sum of the counts in "age=N,size=N,requested=N" (store_commits).
std::uint64_t commits_of(const std::string& text) {
  static const std::regex kCommits("age=([0-9]+),size=([0-9]+),requested=([0-9]+)");
  std::smatch match;
  const std::string value = info_field(text, "store_commits");
  REQUIRE(std::regex_match(value, match, kCommits));
  return std::stoull(match[1]) + std::stoull(match[2]) + std::stoull(match[3]);
}

// "calls=N" of a "cmdstat_<name>" line.
std::uint64_t calls_of(const std::string& commandstats, const std::string& command) {
  const std::string value = info_field(commandstats, "cmdstat_" + command);
  if (value.empty()) return 0;
  return std::stoull(value.substr(6, value.find(',') - 6));
}

}  // namespace

TEST_CASE("info: the default sections in Redis's format", "[info]") {
  KeepdProcess keepd(KeepdSettings("info-sections"));
  RawClient client(keepd.port());
  REQUIRE(client.command({"SET", "info:key", "v"}).text == "OK");
  const std::string text = client.command({"INFO"}).text;
  CHECK(headers_of(text) == kDefaultSections);
  CHECK(client.command({"INFO", "default"}).text.find("# Commandstats") == std::string::npos);
  // The fields client libraries read.
  CHECK(!info_field(text, "redis_version").empty());
  CHECK(info_field(text, "role") == "master");
  CHECK(info_field(text, "connected_slaves") == "0");
  CHECK(info_field(text, "loading") == "0");
  CHECK(field_number(text, "used_memory") > 0);
  CHECK(info_field(text, "used_memory_source") == "rss");
  CHECK(info_field(text, "used_cpu_user").find('.') != std::string::npos);
  CHECK(info_field(text, "auth_required") == "0");
  CHECK(info_field(text, "loaded_plugins") == "0");
  CHECK(info_field(text, "keepdb_role") == "leader");
  CHECK(info_field(text, "db0").starts_with("keys=1,"));
}

TEST_CASE("info: all and everything add commandstats; one section; unknown is empty",
          "[info]") {
  KeepdProcess keepd(KeepdSettings("info-select"));
  RawClient client(keepd.port());
  std::vector<std::string> every = kDefaultSections;
  every.insert(every.end() - 1, "# Commandstats");
  CHECK(headers_of(client.command({"INFO", "all"}).text) == every);
  CHECK(headers_of(client.command({"INFO", "everything"}).text) == every);
  CHECK(headers_of(client.command({"INFO", "MEMORY"}).text) ==
        std::vector<std::string>{"# Memory"});
  CHECK(headers_of(client.command({"INFO", "cpu", "security"}).text) ==
        std::vector<std::string>{"# CPU", "# Security"});
  const RespValue unknown = client.command({"INFO", "no-such-section"});
  CHECK(unknown.type == '$');
  CHECK(unknown.text.empty());
}

TEST_CASE("info: commandstats and stats counters move with traffic", "[info]") {
  KeepdProcess keepd(KeepdSettings("info-counters"));
  RawClient client(keepd.port());
  const std::string before = client.command({"INFO", "all"}).text;
  client.pipeline({{"SET", "k", "1"}, {"SET", "k", "2"}, {"GET", "k"}, {"INCR", "nonnumber"},
                   {"SET", "nonnumber", "x"}, {"INCR", "nonnumber"}});
  const std::string after = client.command({"INFO", "all"}).text;
  CHECK(calls_of(after, "set") == calls_of(before, "set") + 3);
  CHECK(calls_of(after, "get") == calls_of(before, "get") + 1);
  CHECK(info_field(after, "cmdstat_incr").ends_with("failed_calls=1"));
  // A container command counts by subcommand, as Redis 7 does; COMMAND alone by itself.
  client.pipeline({{"CLIENT", "GETNAME"}, {"CLIENT", "ID"}, {"object", "Encoding", "k"},
                   {"COMMAND", "COUNT"}, {"COMMAND"}});
  const std::string containers = client.command({"INFO", "commandstats"}).text;
  CHECK(calls_of(containers, "client|getname") == 1);
  CHECK(calls_of(containers, "client|id") == 1);
  CHECK(calls_of(containers, "object|encoding") == 1);
  CHECK(calls_of(containers, "command|count") == 1);
  CHECK(calls_of(containers, "command") == 1);
  CHECK(info_field(containers, "cmdstat_client").empty());
  CHECK(field_number(after, "writes_applied") >= field_number(before, "writes_applied") + 5);
  CHECK(field_number(after, "keepdb_applied_index") > field_number(before, "keepdb_applied_index"));
}

TEST_CASE("info: persistence counts the store's window commits and their mean duration",
          "[info]") {
  KeepdProcess keepd(KeepdSettings("info-store-commits"));
  RawClient client(keepd.port());
  const std::string before = client.command({"INFO", "persistence"}).text;
  REQUIRE(client.command({"SET", "k", "v"}).text == "OK");
  // SAVE commits the window that holds the SET (if its age has not already), so the store
  // has committed at least once more whichever comes first.
  REQUIRE(client.command({"SAVE"}).text == "OK");
  const std::string after = client.command({"INFO", "persistence"}).text;
  CHECK(commits_of(after) >= commits_of(before) + 1);
  CHECK(std::regex_match(info_field(after, "store_commit_avg_usec"), std::regex("[0-9]+")));
}
