// A connection's receive buffer: bytes read from the socket and not yet consumed by the
// parser. Grows on demand up to a hard cap and compacts consumed bytes away, so offsets
// relative to readable().data() stay meaningful across reads.
//
// Secrets: a request may carry one (AUTH), so no byte is left behind where nothing owns
// it: memory is wiped (OPENSSL_cleanse) before it is freed (growth, shrinking, destruction)
// and the copy a compaction leaves past the new end is wiped. consume_and_wipe() wipes a
// consumed request in place.
//
// Thread-safety: none; owned by one connection.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

namespace keepdb::net {

class InputBuffer {
 public:
  explicit InputBuffer(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  ~InputBuffer();
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;

  std::string_view readable() const { return {data_.get() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  bool full() const { return size() >= max_bytes_; }
  std::size_t capacity() const { return capacity_; }  // bytes allocated

  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // consume(), after overwriting those bytes: for a request that carried a secret.
  void consume_and_wipe(std::size_t n);

  // Space to read into: at least min(`want`, what the cap still allows) bytes.
  // Returns an empty span only when the buffer is full.
  std::pair<char*, std::size_t> prepare(std::size_t want);
  void commit(std::size_t n) { end_ += n; }

  // Releases memory after a large request once the buffer is empty again.
  void shrink_if_idle(std::size_t keep);

 private:
  void compact();
  // Moves the readable bytes to the front of a new block of `capacity` bytes and wipes
  // and frees the old block.
  void reallocate(std::size_t capacity);

  std::size_t max_bytes_;
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace keepdb::net
