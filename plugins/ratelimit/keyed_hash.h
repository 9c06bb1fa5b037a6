// A seeded 64-bit hash for the limiter's tables. The seed comes from the host's CSPRNG at
// create(), so a client cannot choose addresses or names that all land in one probe chain
// of a table without knowing it. It is a fast mixer (multiply-fold), not a cryptographic MAC.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace keepdb::ratelimit {

struct HashSeed {
  std::uint64_t a = 0x9e3779b97f4a7c15ULL;
  std::uint64_t b = 0xd1b54a32d192ed03ULL;
};

__extension__ using Uint128 = unsigned __int128;  // GCC and Clang on 64-bit targets

// The 128-bit product of a and b, folded to 64 bits.
inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) {
  const Uint128 product = static_cast<Uint128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

inline std::uint64_t keyed_hash(std::string_view bytes, const HashSeed& seed) {
  std::uint64_t h = seed.a ^ bytes.size();
  std::size_t i = 0;
  for (; i + 16 <= bytes.size(); i += 16) {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    std::memcpy(&lo, bytes.data() + i, 8);
    std::memcpy(&hi, bytes.data() + i + 8, 8);
    h = fold_multiply(lo ^ seed.a ^ h, hi ^ seed.b);
  }
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) std::memcpy(&lo, bytes.data() + i, rest < 8 ? rest : 8);
  if (rest > 8) std::memcpy(&hi, bytes.data() + i + 8, rest - 8);
  return fold_multiply(lo ^ seed.a ^ h, hi ^ seed.b ^ rest);
}

inline std::uint64_t keyed_hash(std::uint64_t value, const HashSeed& seed) {
  return fold_multiply(value ^ seed.a, seed.b ^ 0x2d358dccaa6c78a5ULL);
}

}  // namespace keepdb::ratelimit
