// ByteVector: a std::vector of bytes whose resize() leaves the new bytes uninitialized, for
// buffers grown only to be written into at once (a socket read, a session's output). A plain
// std::vector<std::uint8_t> zero-fills on every resize, which on the TLS path was a 16 KiB
// memset per socket read and per pull from the session.
//
// Thread-safety and ownership: those of std::vector.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace keepdb::util {

// std::allocator, except that value-initialization (resize, the count constructor)
// default-initializes: for bytes, it leaves them as they are.
template <typename T>
class DefaultInitAllocator : public std::allocator<T> {
 public:
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;

  template <typename U>
  void construct(U* where) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(where)) U;
  }
  template <typename U, typename... Args>
  void construct(U* where, Args&&... args) {
    ::new (static_cast<void*>(where)) U(std::forward<Args>(args)...);
  }
};

using ByteVector = std::vector<std::uint8_t, DefaultInitAllocator<std::uint8_t>>;

}  // namespace keepdb::util
