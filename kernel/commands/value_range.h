// The part of a value that GETRANGE, BITCOUNT and BITPOS address with a start and an end
// (bytes, or bits for BIT ranges), computed as Redis computes it.
#pragma once

#include <cstdint>

namespace keepdb::commands {

// [first, last], both inclusive; empty when first > last.
struct ValueRange {
  std::int64_t first = 0, last = -1;

  bool empty() const { return first > last; }
};

// A negative start or end counts from the end of a value of `length` units; then both are
// clamped to the value.
inline ValueRange clamp_range(std::int64_t start, std::int64_t end, std::int64_t length) {
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  return {start, end};
}

// GETRANGE and BITCOUNT reply empty, before any clamping, for a range that runs backwards
// from the end.
inline bool backwards_from_end(std::int64_t start, std::int64_t end) {
  return start < 0 && end < 0 && start > end;
}

}  // namespace keepdb::commands
