// Little-endian fixed-width integers and length-checked byte ranges: the building blocks of
// every consensus record (peer frames, log records, snapshot metadata). ByteReader never reads
// past its input: every getter reports underflow instead.
//
// Thread-safety: plain values. Lifetime: a ByteWriter appends to a vector it does not own;
// a ByteReader views bytes it does not own.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace keepdb::util {

// Stores `value` little-endian into out[0..8).
inline void store_u64_le(std::uint8_t* out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  void put_u8(std::uint8_t value) { out_.push_back(value); }
  void put_u16(std::uint16_t value) { put_little_endian(value, 2); }
  void put_u32(std::uint32_t value) { put_little_endian(value, 4); }
  void put_u64(std::uint64_t value) { put_little_endian(value, 8); }
  void put_bytes(std::span<const std::uint8_t> bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  void put_bytes(std::string_view text) {
    put_bytes({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  }
  // Overwrites 8 bytes at `offset` (already written) with `value`.
  void patch_u64(std::size_t offset, std::uint64_t value) {
    store_u64_le(out_.data() + offset, value);
  }
  std::size_t size() const { return out_.size(); }

 private:
  void put_little_endian(std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }

  std::vector<std::uint8_t>& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> input) : input_(input) {}

  // Each getter returns false, consuming nothing, when too few bytes remain.
  bool get_u8(std::uint8_t& value) { return get_little_endian(value, 1); }
  bool get_u16(std::uint16_t& value) { return get_little_endian(value, 2); }
  bool get_u32(std::uint32_t& value) { return get_little_endian(value, 4); }
  template <std::unsigned_integral Integer>
  requires(sizeof(Integer) == 8)  // uint64_t, raft_index, raft_term, raft_id
      bool get_u64(Integer& value) {
    return get_little_endian(value, 8);
  }
  bool get_bytes(std::size_t count, std::span<const std::uint8_t>& bytes) {
    if (count > remaining()) return false;
    bytes = input_.subspan(position_, count);
    position_ += count;
    return true;
  }
  std::size_t remaining() const { return input_.size() - position_; }

 private:
  template <typename Integer>
  bool get_little_endian(Integer& value, std::size_t width) {
    if (width > remaining()) return false;
    std::uint64_t result = 0;
    for (std::size_t i = 0; i < width; ++i) {
      result |= std::uint64_t{input_[position_ + i]} << (8 * i);
    }
    value = static_cast<Integer>(result);
    position_ += width;
    return true;
  }

  std::span<const std::uint8_t> input_;
  std::size_t position_ = 0;
};

}  // namespace keepdb::util
