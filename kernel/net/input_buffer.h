// A connection's receive buffer: bytes read from the socket and not yet consumed by the
// parser. Grows on demand up to a hard cap and compacts consumed bytes away, so offsets
// relative to readable().data() stay meaningful across reads.
//
// Thread-safety: none; owned by one connection.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>
#include <vector>

namespace keepdb::net {

class InputBuffer {
 public:
  explicit InputBuffer(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  std::string_view readable() const { return {data_.data() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  bool full() const { return size() >= max_bytes_; }

  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Space to read into: at least min(`want`, what the cap still allows) bytes.
  // Returns an empty span only when the buffer is full.
  std::pair<char*, std::size_t> prepare(std::size_t want) {
    if (data_.size() - end_ < want && begin_ > 0) {
      std::memmove(data_.data(), data_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (data_.size() - end_ < want && data_.size() < max_bytes_) {
      std::size_t grown = std::max(data_.size() * 2, end_ + want);
      data_.resize(std::min(grown, max_bytes_));
    }
    return {data_.data() + end_, data_.size() - end_};
  }
  void commit(std::size_t n) { end_ += n; }

  // Releases memory after a large request once the buffer is empty again.
  void shrink_if_idle(std::size_t keep) {
    if (empty() && data_.size() > keep) {
      data_.resize(keep);
      data_.shrink_to_fit();
    }
  }

 private:
  std::size_t max_bytes_;
  std::vector<char> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace keepdb::net
