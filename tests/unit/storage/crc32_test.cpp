// The CRC-32 of log records and snapshot files (storage/crc32.h, zlib) against Boost.CRC's
// crc_32_type, which computed them before: the check value, empty input, a 1 MiB buffer,
// pieces split at every boundary, and a snapshot file's CRC through write and read.
#include "storage/crc32.h"

#include <catch2/catch.hpp>

#include <boost/crc.hpp>
#include <random>
#include <string_view>
#include <vector>

#include "storage/snapshot_file.h"
#include "tests/support/temp_dir.h"

namespace keepdb::storage {
namespace {

std::uint32_t boost_crc32(std::span<const std::uint8_t> bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::vector<std::uint8_t> random_bytes(std::size_t count, unsigned seed) {
  std::mt19937 random(seed);
  std::vector<std::uint8_t> bytes(count);
  for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(random());
  return bytes;
}

}  // namespace

TEST_CASE("crc32 gives the CRC-32/IEEE check value and Boost.CRC's values", "[crc32]") {
  CHECK(crc32_of(bytes_of("123456789")) == 0xCBF43926u);
  CHECK(boost_crc32(bytes_of("123456789")) == 0xCBF43926u);
  CHECK(crc32_of({}) == 0);
  CHECK(crc32_of({}) == boost_crc32({}));
  CHECK(crc32_of(bytes_of("a")) == boost_crc32(bytes_of("a")));
  const std::vector<std::uint8_t> mebibyte = random_bytes(1u << 20, 1);
  CHECK(crc32_of(mebibyte) == boost_crc32(mebibyte));
  const std::vector<std::uint8_t> zeros(1u << 20, 0);
  CHECK(crc32_of(zeros) == boost_crc32(zeros));
}

TEST_CASE("crc32 fed in pieces equals crc32 of the whole at every split", "[crc32]") {
  const std::vector<std::uint8_t> bytes = random_bytes(4096 + 13, 2);
  const std::uint32_t whole = boost_crc32(bytes);
  const std::span<const std::uint8_t> all(bytes);
  for (std::size_t split = 0; split <= 64; ++split) {
    INFO("split at " << split);
    Crc32 crc;
    crc.update(all.first(split));
    crc.update({});  // an empty piece changes nothing
    crc.update(all.subspan(split));
    CHECK(crc.value() == whole);
  }
  Crc32 chunked;  // uneven chunks across the whole buffer
  for (std::size_t at = 0, chunk = 1; at < all.size(); at += chunk, chunk = chunk * 3 % 997 + 1) {
    chunked.update(all.subspan(at, std::min(chunk, all.size() - at)));
  }
  CHECK(chunked.value() == whole);
}

TEST_CASE("a snapshot file's CRC is Boost.CRC's, and a file checked with it reads back",
          "[crc32]") {
  test::TempDir dir;
  const std::vector<std::uint8_t> first = random_bytes(70000, 3);
  const std::vector<std::uint8_t> second = random_bytes(12345, 4);
  const raft_buffer buffers[] = {{const_cast<std::uint8_t*>(first.data()), first.size()},
                                 {const_cast<std::uint8_t*>(second.data()), second.size()}};
  std::uint32_t written = 0;
  REQUIRE(write_snapshot_file(dir.path(), 1, buffers, written).ok());
  std::vector<std::uint8_t> both = first;
  both.insert(both.end(), second.begin(), second.end());
  const std::uint32_t old_crc = boost_crc32(both);
  CHECK(written == old_crc);
  std::vector<std::uint8_t> read(both.size());
  REQUIRE(read_snapshot_file(dir.path(), 1, old_crc, read).ok());
  CHECK(read == both);
  CHECK(read_snapshot_file(dir.path(), 1, old_crc ^ 1, read).code == RAFT_CORRUPT);
}

}  // namespace keepdb::storage
