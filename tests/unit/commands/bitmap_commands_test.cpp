// Tests for the bitmap family (GETBIT SETBIT BITCOUNT BITPOS): replies as Redis 7 sends
// them, plus what is KeepDB's own: SETBIT bounded by the largest value KeepDB stores,
// TTLs kept, expired keys read as missing, and the key length limit.
#include <catch2/catch.hpp>

#include <string>

#include "tests/unit/commands/command_fixture.h"

using namespace std::string_literals;
using keepdb::test::CommandFixture;
using namespace keepdb::test::resp2;

namespace {

const std::string kBitOffset = error("ERR bit offset is not an integer or out of range");

}  // namespace

TEST_CASE("SETBIT grows the value with zero bytes and replies the previous bit", "[bitmap]") {
  CommandFixture db;
  CHECK(db.run({"SETBIT", "k", "9", "1"}) == integer(0));
  CHECK(db.stored_payload("k") == "\0\x40"s);
  CHECK(db.run({"SETBIT", "k", "9", "1"}) == integer(1));
  CHECK(db.run({"SETBIT", "k", "9", "0"}) == integer(1));
  CHECK(db.run({"GETBIT", "k", "9"}) == integer(0));
  CHECK(db.run({"SETBIT", "k", "0", "2"}) == error("ERR bit is not an integer or out of range"));
  CHECK(db.run({"SETBIT", "k", "-1", "1"}) == kBitOffset);
}

TEST_CASE("SETBIT may not grow a value past the largest value KeepDB stores", "[bitmap]") {
  CommandFixture db(4);
  CHECK(db.run({"SETBIT", "k", "31", "1"}) == integer(0));
  CHECK(db.run({"SETBIT", "k", "32", "1"}) == kBitOffset);
  CHECK(db.run({"STRLEN", "k"}) == integer(4));
  // Past Redis's own limit (512 MB) it is refused before it is proposed.
  CHECK(db.run({"SETBIT", "k", "4294967296", "1"}) == kBitOffset);
}

TEST_CASE("SETBIT keeps the TTL and starts an expired key afresh", "[bitmap]") {
  CommandFixture db;
  db.put("t", "a", db.now_ms() + 10'000);
  CHECK(db.run({"SETBIT", "t", "7", "0"}) == integer(1));
  CHECK(db.stored_payload("t") == "`");
  CHECK(db.stored_expiry("t") == db.now_ms() + 10'000);
  db.put("old", "\xff", db.now_ms() + 1000);
  db.advance_ms(1000);
  CHECK(db.run({"GETBIT", "old", "0"}) == integer(0));
  CHECK(db.run({"SETBIT", "old", "0", "1"}) == integer(0));
  CHECK(db.stored_payload("old") == "\x80");
  CHECK(db.stored_expiry("old") == 0u);
}

TEST_CASE("BITCOUNT counts set bits in byte and bit ranges", "[bitmap]") {
  CommandFixture db;
  db.run({"SET", "k", "foobar"});
  CHECK(db.run({"BITCOUNT", "k"}) == integer(26));
  CHECK(db.run({"BITCOUNT", "k", "1", "1"}) == integer(6));
  CHECK(db.run({"BITCOUNT", "k", "5", "30", "BIT"}) == integer(17));
  CHECK(db.run({"BITCOUNT", "k", "-1", "-2", "FOO"}) == integer(0));
  CHECK(db.run({"BITCOUNT", "k", "0"}) == error("ERR syntax error"));
  CHECK(db.run({"BITCOUNT", "missing", "0"}) == integer(0));
}

TEST_CASE("BITPOS finds the first set or clear bit", "[bitmap]") {
  CommandFixture db;
  db.run({"SET", "k", "\xff\xf0\x00"});
  CHECK(db.run({"BITPOS", "k", "0"}) == integer(12));
  CHECK(db.run({"BITPOS", "k", "1", "2"}) == integer(-1));
  CHECK(db.run({"BITPOS", "k", "1", "7", "15", "BIT"}) == integer(7));
  CHECK(db.run({"BITPOS", "k", "0", "0", "11", "BIT"}) == integer(-1));
  db.run({"SET", "ones", "\xff\xff"});
  // Without an end the value is taken as followed by zeros; with one, it is not.
  CHECK(db.run({"BITPOS", "ones", "0"}) == integer(16));
  CHECK(db.run({"BITPOS", "ones", "0", "0", "-1"}) == integer(-1));
  CHECK(db.run({"BITPOS", "missing", "0"}) == integer(0));
  CHECK(db.run({"BITPOS", "missing", "1"}) == integer(-1));
  CHECK(db.run({"BITPOS", "k", "2"}) == error("ERR The bit argument must be 1 or 0."));
}

TEST_CASE("a 511-byte key is refused by SETBIT and reads as zeros", "[bitmap][keys]") {
  CommandFixture db;
  const std::string key(511, 'k');
  const std::string refused = error("ERR key is too long (KeepDB keys are at most 510 bytes)");
  CHECK(db.run({"SETBIT", key, "0", "1"}) == refused);
  CHECK(db.run({"GETBIT", key, "0"}) == integer(0));
  CHECK(db.run({"BITCOUNT", key}) == integer(0));
  CHECK(db.run({"BITPOS", key, "0"}) == integer(0));
}
