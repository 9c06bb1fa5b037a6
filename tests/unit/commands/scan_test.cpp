// Tests for SCAN (and the ScanCursors table behind it): a full iteration from cursor 0
// returns every key exactly once for any COUNT, MATCH filters, reply bytes, option errors and
// cursors as Redis parses them (a number never given out ends the iteration, a forgotten one
// is invalid); the MATCH length cap, and the step budget that ends a call early with a
// cursor that loses no key.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "kernel/commands/glob_match.h"
#include "kernel/commands/scan_cursors.h"
#include "tests/unit/commands/command_fixture.h"

using namespace std::string_literals;
using keepdb::commands::GlobPattern;
using keepdb::commands::kMaxScanPatternBytes;
using keepdb::commands::kScanStepBudget;
using keepdb::commands::kScanStepsPerKey;
using keepdb::commands::ScanCursors;
using keepdb::test::CommandFixture;
using keepdb::test::parse_scan_reply;
using namespace keepdb::test::resp2;

namespace {

struct ScanResult {
  std::vector<std::string> keys;  // in the order returned
  int calls = 0;
};

// Iterates from cursor 0 until the cursor is 0 again, running `between` after each call.
ScanResult scan_all(CommandFixture& db, std::vector<std::string> options,
                    const std::function<void(int call)>& between = nullptr) {
  ScanResult result;
  std::string cursor = "0";
  do {
    std::vector<std::string> request = {"SCAN", cursor};
    request.insert(request.end(), options.begin(), options.end());
    const auto page = parse_scan_reply(db.run(request));
    REQUIRE(page);
    result.keys.insert(result.keys.end(), page->keys.begin(), page->keys.end());
    cursor = page->cursor;
    ++result.calls;
    REQUIRE(result.calls <= 100000);
    if (between) between(result.calls);
  } while (cursor != "0");
  return result;
}

// 250 keys: readable, binary (NUL, 0xff) and the longest allowed; returned sorted.
std::vector<std::string> fill(CommandFixture& db) {
  std::vector<std::string> keys;
  for (int i = 0; i < 240; ++i) keys.push_back("user:" + std::to_string(i));
  for (int i = 0; i < 8; ++i) keys.push_back("bin\0"s + static_cast<char>(0xf8 + i));
  keys.push_back(std::string(510, 'z'));
  keys.push_back("\0"s);
  std::vector<std::string> mset = {"MSET"};
  for (const auto& key : keys) {
    mset.push_back(key);
    mset.push_back("v");
  }
  REQUIRE(db.run(mset) == kOk);
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

TEST_CASE("SCAN 0 on an empty keyspace replies cursor 0 and no keys", "[scan]") {
  CommandFixture db;
  CHECK(db.run({"SCAN", "0"}) == array({bulk("0"), array({})}));
}

TEST_CASE("SCAN from cursor 0 returns every key exactly once for COUNT 1, 7 and 100", "[scan]") {
  const int count = GENERATE(1, 7, 100);
  CAPTURE(count);
  CommandFixture db;
  const auto keys = fill(db);
  const auto result = scan_all(db, {"COUNT", std::to_string(count)});
  CHECK(result.keys == keys);
  CHECK(result.calls == (static_cast<int>(keys.size()) + count - 1) / count);
}

TEST_CASE("SCAN without COUNT returns pages of 10 keys", "[scan]") {
  CommandFixture db;
  const auto keys = fill(db);
  const auto first = parse_scan_reply(db.run({"SCAN", "0"}));
  REQUIRE(first);
  CHECK(first->keys == std::vector(keys.begin(), keys.begin() + 10));
  CHECK(first->cursor != "0");
  CHECK(scan_all(db, {}).calls == 25);
}

TEST_CASE("SCAN MATCH returns exactly the matching keys over a full iteration", "[scan]") {
  const auto [pattern, count] = GENERATE(table<std::string, int>({{"user:1?", 1},
                                                                  {"user:1?", 7},
                                                                  {"*:2[0-3]*", 100},
                                                                  {"bin\0*"s, 3},
                                                                  {"*", 50},
                                                                  {"nothing*", 10}}));
  CAPTURE(pattern, count);
  CommandFixture db;
  const auto keys = fill(db);
  std::vector<std::string> expected;
  std::copy_if(keys.begin(), keys.end(), std::back_inserter(expected),
               [&](const std::string& key) { return keepdb::commands::glob_match(pattern, key); });
  const auto result = scan_all(db, {"MATCH", pattern, "COUNT", std::to_string(count)});
  CHECK(result.keys == expected);
  // Like Redis, MATCH filters after visiting, so the number of calls does not change.
  CHECK(result.calls == (static_cast<int>(keys.size()) + count - 1) / count);
}

TEST_CASE("SCAN MATCH spot checks against Redis pattern semantics", "[scan]") {
  CommandFixture db;
  db.run({"MSET", "user:1", "v", "user:10", "v", "user:2", "v", "admin", "v", "a*b", "v"});
  CHECK(scan_all(db, {"MATCH", "user:?", "COUNT", "100"}).keys ==
        std::vector<std::string>{"user:1", "user:2"});
  CHECK(scan_all(db, {"MATCH", "a\\*b", "COUNT", "100"}).keys == std::vector<std::string>{"a*b"});
  CHECK(scan_all(db, {"MATCH", "[^u]*", "COUNT", "100"}).keys ==
        std::vector<std::string>{"a*b", "admin"});
}

TEST_CASE("SCAN TYPE string returns every key and any other type none", "[scan]") {
  CommandFixture db;
  const auto keys = fill(db);
  CHECK(scan_all(db, {"TYPE", "STRING", "COUNT", "100"}).keys == keys);
  CHECK(scan_all(db, {"TYPE", "hash", "COUNT", "100"}).keys.empty());
}

TEST_CASE("SCAN returns each key present for the whole iteration once despite writes", "[scan]") {
  CommandFixture db;
  const auto keys = fill(db);
  // Between calls: delete one key that was already returned and one that was not yet,
  // and add keys both behind and ahead of the scan position.
  const auto result = scan_all(db, {"COUNT", "7"}, [&](int call) {
    const auto tag = std::to_string(call);
    db.run({"DEL", keys[static_cast<std::size_t>(call) % keys.size()],
            keys[(static_cast<std::size_t>(call) * 37 + 5) % keys.size()]});
    db.run({"MSET", "\x01new" + tag, "v", "~new" + tag, "v"});
  });
  std::map<std::string, int> seen;
  for (const auto& key : result.keys) ++seen[key];
  for (const auto& [key, times] : seen) CHECK(times == 1);
  CHECK(std::is_sorted(result.keys.begin(), result.keys.end()));
  const auto present = scan_all(db, {"COUNT", "1000"}).keys;  // the survivors
  for (const auto& key : keys) {
    if (std::binary_search(present.begin(), present.end(), key)) CHECK(seen.count(key) == 1);
  }
}

TEST_CASE("SCAN with the same cursor twice returns the same keys", "[scan]") {
  // A client may retry a call: the cursor stays valid, and each reply names a fresh cursor
  // that resumes at the same place.
  CommandFixture db;
  fill(db);
  const auto first = parse_scan_reply(db.run({"SCAN", "0", "COUNT", "5"}));
  REQUIRE(first);
  const auto page = parse_scan_reply(db.run({"SCAN", first->cursor, "COUNT", "5"}));
  const auto retried = parse_scan_reply(db.run({"SCAN", first->cursor, "COUNT", "5"}));
  REQUIRE(page);
  REQUIRE(retried);
  CHECK(page->keys.size() == 5);
  CHECK(retried->keys == page->keys);
  CHECK(parse_scan_reply(db.run({"SCAN", retried->cursor}))->keys ==
        parse_scan_reply(db.run({"SCAN", page->cursor}))->keys);
}

TEST_CASE("SCAN with a cursor Redis cannot parse replies invalid cursor", "[scan]") {
  const auto cursor = GENERATE(as<std::string>{}, "abc", " 0", "0 ", "1.5", "+", "-", "0x10",
                               "18446744073709551616", "-18446744073709551616");
  CAPTURE(cursor);
  CommandFixture db;
  fill(db);
  CHECK(db.run({"SCAN", cursor}) == error("ERR invalid cursor"));
}

TEST_CASE("SCAN with a number it never gave out ends the iteration as Redis does", "[scan]") {
  const auto cursor = GENERATE(as<std::string>{}, "-1", "+1", "12345", "18446744073709551615");
  CAPTURE(cursor);
  CommandFixture db;
  fill(db);
  CHECK(db.run({"SCAN", cursor}) == array({bulk("0"), array({})}));
}

TEST_CASE("SCAN reads the empty cursor and -0 as cursor 0", "[scan]") {
  const auto cursor = GENERATE(as<std::string>{}, "", "-0", "+0");
  CAPTURE(cursor);
  CommandFixture db;
  db.run({"SET", "only", "1"});
  CHECK(db.run({"SCAN", cursor}) == array({bulk("0"), array({bulk("only")})}));
}

TEST_CASE("ScanCursors tells a forgotten cursor it gave out from any other number",
          "[scan][cursors]") {
  ScanCursors cursors(2, 100);
  const std::uint64_t first = cursors.remember("a");
  cursors.remember("b");
  cursors.remember("c");
  CHECK_FALSE(cursors.resume_key(first));
  CHECK(cursors.issued(first));
  CHECK_FALSE(cursors.issued(first - 1));
  CHECK_FALSE(cursors.issued(first + 3));
  CHECK_FALSE(cursors.issued(UINT64_MAX));
}

TEST_CASE("SCAN option errors match Redis", "[scan]") {
  CommandFixture db;
  const std::string syntax = error("ERR syntax error");
  CHECK(db.run({"SCAN", "0", "COUNT", "0"}) == syntax);
  CHECK(db.run({"SCAN", "0", "COUNT", "-5"}) == syntax);
  CHECK(db.run({"SCAN", "0", "COUNT", "ten"}) ==
        error("ERR value is not an integer or out of range"));
  CHECK(db.run({"SCAN", "0", "MATCH"}) == syntax);
  CHECK(db.run({"SCAN", "0", "COUNT", "1", "LIMIT", "1"}) == syntax);
  CHECK(db.run({"SCAN"}) == error("ERR wrong number of arguments for 'scan' command"));
}

TEST_CASE("SCAN MATCH patterns longer than 1024 bytes are refused", "[scan]") {
  CommandFixture db;
  fill(db);
  REQUIRE(kMaxScanPatternBytes == 1024);
  const std::string refused = error("ERR MATCH pattern longer than 1024 bytes");
  // 1024 bytes: fine (a 510-byte key with every byte escaped is 1020).
  const auto longest = parse_scan_reply(db.run({"SCAN", "0", "MATCH", std::string(1024, '*')}));
  REQUIRE(longest);
  CHECK(longest->keys.size() == 10);
  std::string escaped_key;
  for (char c : std::string(510, 'z')) escaped_key.append("\\").push_back(c);
  CHECK(scan_all(db, {"MATCH", escaped_key, "COUNT", "1000"}).keys ==
        std::vector<std::string>{std::string(510, 'z')});
  CHECK(db.run({"SCAN", "0", "MATCH", std::string(1025, '*')}) == refused);
  CHECK(db.run({"SCAN", "0", "MATCH", "*[" + std::string(8 << 20, 'x') + "]"}) == refused);
  // The pattern in force is the last MATCH, as in Redis.
  CHECK(scan_all(db, {"MATCH", std::string(2000, 'x'), "MATCH", "user:1", "COUNT", "1000"}).keys ==
        std::vector<std::string>{"user:1"});
  CHECK(db.run({"SCAN", "0", "MATCH", "*", "MATCH", std::string(1025, 'x')}) == refused);
}

TEST_CASE("SCAN stops at the step budget with a cursor that skips no key", "[scan]") {
  // 64 keys of 510 bytes; every fourth ends in 'b'. "*" + 255 'a's + "b" near-matches at
  // every offset of every key: about 65,000 steps a key, so a call visits some 16 keys
  // however large its COUNT.
  CommandFixture db;
  std::vector<std::string> keys, expected;
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < 64; ++i) {
    std::string key = std::to_string(1000 + i) + std::string(506, 'a');
    if (i % 4 == 0) key.back() = 'b';
    keys.push_back(key);
    if (i % 4 == 0) expected.push_back(key);
    mset.push_back(key);
    mset.push_back("v");
  }
  REQUIRE(db.run(mset) == kOk);
  const std::string pattern = "*" + std::string(255, 'a') + "b";
  const GlobPattern compiled(pattern);
  std::uint64_t per_key = 0;
  REQUIRE_FALSE(compiled.matches(keys[1], per_key));
  REQUIRE(per_key > 60000);

  const auto first = parse_scan_reply(db.run({"SCAN", "0", "MATCH", pattern, "COUNT", "1000"}));
  REQUIRE(first);
  CHECK(first->cursor != "0");  // the budget, not COUNT, ended the call
  const auto result = scan_all(db, {"MATCH", pattern, "COUNT", "1000"});
  CHECK(result.keys == expected);  // in order, each once, none lost at a budget stop
  CHECK(static_cast<std::uint64_t>(result.calls) >= 64 * per_key / kScanStepBudget);
  // Retrying the cursor of a budget stop gives the same page.
  const auto page =
      parse_scan_reply(db.run({"SCAN", first->cursor, "MATCH", pattern, "COUNT", "1000"}));
  const auto retried =
      parse_scan_reply(db.run({"SCAN", first->cursor, "MATCH", pattern, "COUNT", "1000"}));
  REQUIRE(page);
  REQUIRE(retried);
  CHECK(retried->keys == page->keys);
  CHECK(parse_scan_reply(db.run({"SCAN", retried->cursor, "COUNT", "1"}))->keys ==
        parse_scan_reply(db.run({"SCAN", page->cursor, "COUNT", "1"}))->keys);
}

TEST_CASE("SCAN with a huge COUNT and no MATCH visits at most a budget's worth of keys", "[scan]") {
  const std::size_t per_call = kScanStepBudget / kScanStepsPerKey;
  CommandFixture db;
  std::vector<std::string> mset = {"MSET"};
  const std::size_t total = per_call + 1000;
  for (std::size_t i = 0; i < total; ++i) {
    mset.push_back("k" + std::to_string(100000 + i));
    mset.push_back("v");
  }
  REQUIRE(db.run(mset) == kOk);
  const auto first = parse_scan_reply(db.run({"SCAN", "0", "COUNT", "1000000000"}));
  REQUIRE(first);
  CHECK(first->keys.size() == per_call);
  CHECK(first->cursor != "0");
  const auto rest = parse_scan_reply(db.run({"SCAN", first->cursor, "COUNT", "1000000000"}));
  REQUIRE(rest);
  CHECK(rest->keys.size() == 1000);
  CHECK(rest->cursor == "0");
  CHECK(rest->keys.front() == "k" + std::to_string(100000 + per_call));
}

TEST_CASE("ScanCursors forgets the oldest cursor past its capacity", "[scan][cursors]") {
  ScanCursors cursors(2, 100);
  const auto a = cursors.remember("a");
  const auto b = cursors.remember("b");
  const auto c = cursors.remember("c");
  CHECK_FALSE(cursors.resume_key(a));
  CHECK(cursors.resume_key(b) == "b");
  CHECK(cursors.resume_key(c) == "c");
  CHECK(cursors.resume_key(c) == "c");  // reading does not consume
}

TEST_CASE("ScanCursors never hands out cursor 0, even when ids wrap", "[scan][cursors]") {
  ScanCursors from_zero(4, 0);
  CHECK(from_zero.remember("k") == 1);
  ScanCursors wrapping(4, UINT64_MAX);
  CHECK(wrapping.remember("x") == UINT64_MAX);
  const auto after_wrap = wrapping.remember("y");
  CHECK(after_wrap == 1);
  CHECK(wrapping.resume_key(after_wrap) == "y");
  CHECK_FALSE(wrapping.resume_key(0));
}
