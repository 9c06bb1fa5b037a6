// KeepDB's key length bounds, where it knowingly differs from Redis: LMDB keys are 1 to
// 511 bytes, so writes of an empty or longer key are refused with a clear error and reads
// of one find nothing; the connection stays usable. An empty key gets its own error (it is
// not "too long").
#include <catch2/catch.hpp>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"

using namespace keepdb::integration;

namespace {

constexpr const char* kKeyTooLong = "(error) ERR key is too long (KeepDB keys are 1 to 511 bytes)";
constexpr const char* kKeyEmpty =
    "(error) ERR empty keys are not supported by KeepDB (keys are 1 to 511 bytes)";

}  // namespace

TEST_CASE("keys of 1 and 511 bytes are stored", "[keys]") {
  KeepdProcess keepd(KeepdSettings("keys-ok"));
  RawClient client(keepd.port());
  const std::string longest(511, 'k');
  CHECK(client.command({"SET", "k", "short"}).text == "OK");
  CHECK(client.command({"SET", longest, "long"}).text == "OK");
  CHECK(client.command({"MGET", "k", longest}).describe() == "[\"short\", \"long\"]");
}

TEST_CASE("writes of an empty or 512-byte key are refused and reads find nothing", "[keys]") {
  KeepdProcess keepd(KeepdSettings("keys-refused"));
  RawClient client(keepd.port());
  for (const std::string& key : {std::string(), std::string(512, 'k')}) {
    INFO("key of " << key.size() << " bytes");
    const char* refused = key.empty() ? kKeyEmpty : kKeyTooLong;
    for (const std::vector<std::string>& write : {std::vector<std::string>{"SET", key, "v"},
                                                  {"SETNX", key, "v"},
                                                  {"GETSET", key, "v"},
                                                  {"APPEND", key, "v"},
                                                  {"INCR", key},
                                                  {"INCRBY", key, "2"},
                                                  {"GETDEL", key},
                                                  {"MSET", "fine", "1", key, "2"}}) {
      INFO(write[0]);
      CHECK(client.command(write).describe() == refused);
    }
    CHECK(client.command({"GET", key}).null);
    CHECK(client.command({"EXISTS", key}).integer == 0);
    CHECK(client.command({"DEL", key}).integer == 0);
  }
  CHECK(client.command({"EXISTS", "fine"}).integer == 0);  // MSET is all or nothing
  CHECK(client.command({"DBSIZE"}).integer == 0);
}
