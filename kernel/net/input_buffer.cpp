// InputBuffer: growth, compaction and shrinking that leave no stray copy of input behind.
#include "kernel/net/input_buffer.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

namespace keepdb::net {

InputBuffer::~InputBuffer() {
  if (data_) OPENSSL_cleanse(data_.get(), capacity_);
}

void InputBuffer::consume_and_wipe(std::size_t n) {
  OPENSSL_cleanse(data_.get() + begin_, n);
  consume(n);
}

std::pair<char*, std::size_t> InputBuffer::prepare(std::size_t want) {
  if (capacity_ - end_ < want && begin_ > 0) compact();
  if (capacity_ - end_ < want && capacity_ < max_bytes_) {
    reallocate(std::min(std::max(capacity_ * 2, end_ + want), max_bytes_));
  }
  return {data_.get() + end_, capacity_ - end_};
}

void InputBuffer::shrink_if_idle(std::size_t keep) {
  if (empty() && capacity_ > keep) reallocate(keep);
}

void InputBuffer::compact() {
  const std::size_t live = end_ - begin_;
  std::memmove(data_.get(), data_.get() + begin_, live);
  // Where the moved bytes were and the move did not overwrite, a copy of them remains.
  const std::size_t stale_from = std::max(live, begin_);
  OPENSSL_cleanse(data_.get() + stale_from, end_ - stale_from);
  begin_ = 0;
  end_ = live;
}

void InputBuffer::reallocate(std::size_t capacity) {
  auto block = std::make_unique_for_overwrite<char[]>(capacity);
  const std::size_t live = end_ - begin_;
  if (live > 0) std::memcpy(block.get(), data_.get() + begin_, live);
  if (data_) OPENSSL_cleanse(data_.get(), capacity_);
  data_ = std::move(block);
  capacity_ = capacity;
  begin_ = 0;
  end_ = live;
}

}  // namespace keepdb::net
