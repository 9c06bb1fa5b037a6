// Tests for InputBuffer: reading, consuming, growth to the cap, shrinking, and that a
// request carrying a secret leaves no copy behind: wiped where it was consumed, and not
// duplicated past the end by a compaction.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "kernel/net/input_buffer.h"

using keepdb::net::InputBuffer;

namespace {

// Fills the space prepare() offers with '.', so every byte of the block is defined, then
// appends `bytes` (which must fit).
void append(InputBuffer& buffer, std::string_view bytes, std::size_t want) {
  auto [space, size] = buffer.prepare(want);
  REQUIRE(size >= bytes.size());
  std::memset(space, '.', size);
  std::memcpy(space, bytes.data(), bytes.size());
  buffer.commit(bytes.size());
}

// How often `needle` occurs in `haystack`.
std::size_t occurrences(std::string_view haystack, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("input buffer: bytes read are readable until consumed", "[input_buffer]") {
  InputBuffer buffer(1024);
  CHECK(buffer.empty());
  append(buffer, "PING\r\nECHO a\r\n", 16);
  CHECK(buffer.readable() == "PING\r\nECHO a\r\n");
  buffer.consume(6);
  CHECK(buffer.readable() == "ECHO a\r\n");
  buffer.consume(8);
  CHECK(buffer.empty());
}

TEST_CASE("input buffer: grows up to its cap and no further", "[input_buffer]") {
  InputBuffer buffer(100);
  append(buffer, std::string(60, 'a'), 60);
  append(buffer, std::string(40, 'b'), 40);  // grows, keeping what was read
  CHECK(buffer.readable() == std::string(60, 'a') + std::string(40, 'b'));
  CHECK(buffer.full());
  CHECK(buffer.prepare(16).second == 0);
  buffer.consume(100);
  buffer.shrink_if_idle(8);
  CHECK(buffer.prepare(8).second >= 8);
}

TEST_CASE("input buffer: consume_and_wipe overwrites the consumed bytes", "[input_buffer]") {
  InputBuffer buffer(1024);
  const std::string auth = "*2\r\n$4\r\nAUTH\r\n$24\r\ns3cret-token-0123456789\r\n";
  append(buffer, auth + "PING\r\n", 64);
  const char* const where = buffer.readable().data();
  buffer.consume_and_wipe(auth.size());
  CHECK(buffer.readable() == "PING\r\n");
  CHECK(std::all_of(where, where + auth.size(), [](char c) { return c == '\0'; }));
}

TEST_CASE("input buffer: compaction leaves no copy of the bytes it moves", "[input_buffer]") {
  const std::string secret = "s3cret-token-0123456789abcdefghij";
  // The moved bytes' old place lies past their new end (no overlap), or overlaps it.
  for (const std::size_t consumed_first : {std::size_t{40}, std::size_t{10}}) {
    INFO("consumed before compaction: " << consumed_first);
    InputBuffer buffer(1024);
    // A first block with 8 bytes to spare once the secret is in.
    append(buffer, std::string(consumed_first, 'x') + secret, consumed_first + secret.size() + 8);
    buffer.consume(consumed_first);
    const char* const block = buffer.readable().data() - consumed_first;
    const std::size_t block_size = consumed_first + secret.size() + buffer.prepare(0).second;
    // Asks for more than is left at the end: the readable bytes move to the front.
    const auto [space, size] = buffer.prepare(16);
    REQUIRE(buffer.readable().data() == block);  // compacted in place, not reallocated
    REQUIRE(size >= 16);
    CHECK(buffer.readable() == secret);
    const std::string_view whole(block, block_size);
    // Only the live copy remains, even of the secret's tail (what a partial overlap keeps).
    CHECK(occurrences(whole, secret) == 1);
    CHECK(occurrences(whole, secret.substr(secret.size() - 8)) == 1);
  }
}
