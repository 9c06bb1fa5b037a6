// SCAN over a real keyspace: complete iteration with COUNT and MATCH (every key exactly
// once), the guarantee for keys present during the whole scan while others come and go,
// and redis-cli --scan.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"

using namespace keepdb::integration;

namespace {

constexpr int kKeys = 1000;

std::string key_name(int i) {
  return "key:" + std::to_string(i);
}

void load_keys(RawClient& client, int count) {
  std::vector<std::vector<std::string>> sets;
  for (int i = 0; i < count; ++i) sets.push_back({"SET", key_name(i), "v" + std::to_string(i)});
  for (const RespValue& reply : client.pipeline(sets)) REQUIRE(reply.text == "OK");
}

// Runs a whole SCAN iteration and counts how often each key was returned.
std::map<std::string, int> scan_all(RawClient& client, const std::vector<std::string>& options,
                                    const std::function<void(int round)>& between_calls = {}) {
  std::map<std::string, int> seen;
  std::string cursor = "0";
  for (int round = 0;; ++round) {
    std::vector<std::string> request = {"SCAN", cursor};
    request.insert(request.end(), options.begin(), options.end());
    const RespValue reply = client.command(request);
    REQUIRE(reply.type == '*');
    REQUIRE(reply.elements.size() == 2);
    for (const RespValue& key : reply.elements[1].elements) ++seen[key.text];
    cursor = reply.elements[0].text;
    if (cursor == "0") return seen;
    REQUIRE(round < 10 * kKeys);  // an iteration that never ends is a bug
    if (between_calls) between_calls(round);
  }
}

}  // namespace

TEST_CASE("SCAN with COUNT visits each of 1000 keys exactly once", "[scan]") {
  KeepdProcess keepd(KeepdSettings("scan-count"));
  RawClient client(keepd.port());
  load_keys(client, kKeys);
  for (const std::string count : {"1", "7", "100", "5000"}) {
    INFO("COUNT " << count);
    const auto seen = scan_all(client, {"COUNT", count});
    CHECK(seen.size() == kKeys);
    for (const auto& [key, times] : seen) {
      INFO(key);
      CHECK(times == 1);
    }
  }
}

TEST_CASE("SCAN with MATCH returns exactly the matching keys", "[scan]") {
  KeepdProcess keepd(KeepdSettings("scan-match"));
  RawClient client(keepd.port());
  load_keys(client, kKeys);
  // key:1, key:10..key:19, key:100..key:199: 1 + 10 + 100 keys.
  const auto seen = scan_all(client, {"MATCH", "key:1*", "COUNT", "13"});
  CHECK(seen.size() == 111);
  for (const auto& [key, times] : seen) {
    INFO(key);
    CHECK(key.rfind("key:1", 0) == 0);
    CHECK(times == 1);
  }
  CHECK(scan_all(client, {"MATCH", "key:99[0-9]"}).size() == 10);
  CHECK(scan_all(client, {"MATCH", "nothing*"}).empty());
}

TEST_CASE("SCAN returns every key that exists for the whole iteration", "[scan]") {
  KeepdProcess keepd(KeepdSettings("scan-churn"));
  RawClient client(keepd.port());
  RawClient writer(keepd.port());
  load_keys(client, kKeys);
  // Between calls, delete even keys and add new ones; odd keys stay throughout.
  const auto seen = scan_all(client, {"COUNT", "50"}, [&](int round) {
    writer.command({"DEL", key_name(2 * round)});
    writer.command({"SET", "new:" + std::to_string(round), "x"});
  });
  for (int i = 1; i < kKeys; i += 2) {
    INFO(key_name(i));
    CHECK(seen.count(key_name(i)) == 1);
  }
}

TEST_CASE("redis-cli --scan --pattern lists the matching keys", "[scan][cli]") {
  KeepdProcess keepd(KeepdSettings("scan-cli"));
  RawClient client(keepd.port());
  load_keys(client, kKeys);
  const ProgramResult result =
      RedisCli(keepd.port()).run({"--scan", "--pattern", "key:5*"}, CliOutput::kRaw);
  REQUIRE(result.status.exited_normally(0));
  std::set<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = result.out.find('\n', start)) != std::string::npos;
       start = end + 1) {
    lines.insert(result.out.substr(start, end - start));
  }
  CHECK(lines.size() == 111);
  CHECK(lines.count("key:5") == 1);
  CHECK(lines.count("key:599") == 1);
}
