// KeepDB's key length bounds, where it knowingly differs from Redis: a key is at most 510
// bytes (LMDB's 511-byte key limit less the database byte), so writes of a longer key are
// refused with a clear error and reads of one find nothing; the connection stays usable.
// The empty key is a key like any other, as in Redis (never "too long").
#include <catch2/catch.hpp>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"

using namespace keepdb::integration;

namespace {

constexpr const char* kKeyTooLong = "(error) ERR key is too long (KeepDB keys are at most 510 bytes)";

}  // namespace

TEST_CASE("keys of 0 1 and 510 bytes are stored", "[keys]") {
  KeepdProcess keepd(KeepdSettings("keys-ok"));
  RawClient client(keepd.port());
  const std::string longest(510, 'k');
  CHECK(client.command({"SET", "", "empty"}).text == "OK");
  CHECK(client.command({"SET", "k", "short"}).text == "OK");
  CHECK(client.command({"SET", longest, "long"}).text == "OK");
  CHECK(client.command({"MGET", "", "k", longest}).describe() ==
        "[\"empty\", \"short\", \"long\"]");
  CHECK(client.command({"DEL", ""}).integer == 1);
  CHECK(client.command({"GETSET", "", "again"}).null);
  CHECK(client.command({"DBSIZE"}).integer == 3);
}

TEST_CASE("writes of a 511-byte key are refused and reads find nothing", "[keys]") {
  KeepdProcess keepd(KeepdSettings("keys-refused"));
  RawClient client(keepd.port());
  const std::string key(511, 'k');
  for (const std::vector<std::string>& write : {std::vector<std::string>{"SET", key, "v"},
                                                {"SETNX", key, "v"},
                                                {"GETSET", key, "v"},
                                                {"APPEND", key, "v"},
                                                {"INCR", key},
                                                {"INCRBY", key, "2"},
                                                {"GETDEL", key},
                                                {"MSET", "fine", "1", key, "2"}}) {
    INFO(write[0]);
    CHECK(client.command(write).describe() == kKeyTooLong);
  }
  CHECK(client.command({"GET", key}).null);
  CHECK(client.command({"EXISTS", key}).integer == 0);
  CHECK(client.command({"DEL", key}).integer == 0);
  CHECK(client.command({"EXISTS", "fine"}).integer == 0);  // MSET is all or nothing
  CHECK(client.command({"DBSIZE"}).integer == 0);
}
