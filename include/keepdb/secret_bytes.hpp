// SecretBytes: bytes that must not outlive their use, such as a token presented to AUTH or
// the text of a secrets file, and WipingAllocator, the allocator behind it for any
// container of secret material. Memory is wiped with OPENSSL_cleanse before it is freed
// (on destruction, on growth, and when a SecretBytes is assigned over); allocations of a
// page or more are mapped on their own pages marked MADV_DONTDUMP, so they stay out of
// core dumps too (smaller ones share pages with other data: for those the process-wide
// PR_SET_DUMPABLE of `keepd run` is the protection). Moves hand the buffer over without a
// copy. Part of the plugin SDK (header-only; needs OpenSSL's libcrypto): plugins keep the
// secrets they read in it, and the kernel uses the same header for the secrets it handles.
//
// Thread-safety: as std::vector: const access from many threads, one writer at a time.
// Ownership: a SecretBytes owns its buffer.
#pragma once

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace kdb::sdk {

template <class T>
class WipingAllocator {
 public:
  using value_type = T;
  using is_always_equal = std::true_type;  // stateless: any instance frees any buffer
  using propagate_on_container_move_assignment = std::true_type;

  WipingAllocator() = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // rebinding, as allocators must

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= page_size()) {
      void* pages = ::mmap(nullptr, whole_pages(bytes), PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (pages == MAP_FAILED) throw std::bad_alloc();
      ::madvise(pages, whole_pages(bytes), MADV_DONTDUMP);  // best effort: still wiped
      return static_cast<T*>(pages);
    }
    void* memory = OPENSSL_malloc(bytes);
    if (memory == nullptr) throw std::bad_alloc();
    return static_cast<T*>(memory);
  }

  void deallocate(T* memory, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= page_size()) {
      OPENSSL_cleanse(memory, bytes);
      ::munmap(memory, whole_pages(bytes));
    } else {
      OPENSSL_clear_free(memory, bytes);
    }
  }

  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }

 private:
  static std::size_t page_size() noexcept {
    static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
  }
  static std::size_t whole_pages(std::size_t bytes) noexcept {
    return (bytes + page_size() - 1) / page_size() * page_size();
  }
};

class SecretBytes {
 public:
  SecretBytes() = default;
  // Copies `bytes`; the caller wipes its own copy.
  explicit SecretBytes(std::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}
  // Copies `source`, then wipes it (its whole capacity, short-string buffer included), so
  // no copy outlives the call in a std::string that was handed over.
  static SecretBytes taken_from(std::string& source) {
    SecretBytes secret(source);
    source.resize(source.capacity());
    OPENSSL_cleanse(source.data(), source.size());
    source.clear();
    return secret;
  }
  // A buffer of `size` zero bytes to read into (data() is writable).
  static SecretBytes zeroed(std::size_t size) {
    SecretBytes secret;
    secret.bytes_.resize(size);
    return secret;
  }

  SecretBytes(SecretBytes&&) noexcept = default;  // the buffer moves; nothing left to wipe
  SecretBytes& operator=(SecretBytes&&) noexcept = default;  // the old buffer is wiped
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() = default;  // WipingAllocator wipes the buffer

  char* data() { return bytes_.data(); }
  const char* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  // Shrinks to the first `size` bytes (what a read filled); the rest is wiped now.
  void truncate(std::size_t size) {
    if (size >= bytes_.size()) return;
    OPENSSL_cleanse(bytes_.data() + size, bytes_.size() - size);
    bytes_.resize(size);
  }
  std::string_view view() const { return {bytes_.data(), bytes_.size()}; }

 private:
  std::vector<char, WipingAllocator<char>> bytes_;
};

}  // namespace kdb::sdk
