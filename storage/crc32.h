// CRC-32 of the raft log's records and of snapshot files: CRC-32/IEEE (the polynomial of
// zlib, gzip and PNG; check value 0xCBF43926 for "123456789"), computed by zlib's table-driven
// crc32_z(), so the value is the one Boost.CRC's crc_32_type computed before and files on
// disk keep their format.
//
// Thread-safety: crc32_of() is pure; a Crc32 is a plain value owned by its caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace keepdb::storage {

// The CRC-32 of `bytes` in one call.
std::uint32_t crc32_of(std::span<const std::uint8_t> bytes);

// A CRC-32 fed in pieces: update() with consecutive pieces gives crc32_of() of them all.
class Crc32 {
 public:
  void update(std::span<const std::uint8_t> bytes);
  std::uint32_t value() const { return value_; }

 private:
  std::uint32_t value_ = 0;
};

}  // namespace keepdb::storage
