// kdb::sdk::SecretBytes, the type AuthRequest::secret and the auth-token plugin keep secrets in:
// its bytes are wiped before their memory is freed (observed through /proc/self/mem, which
// reads freed heap without tripping AddressSanitizer), a std::string handed over is wiped,
// moves hand the buffer over without a copy, and page-sized buffers are MADV_DONTDUMP.
#include <keepdb/secret_bytes.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kdb::sdk {
namespace {

// 64 bytes no allocator metadata would produce by chance.
const std::string kSecret = "s3cr3t-token-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKL";

// The `size` bytes at `address`, read through the kernel: valid for freed heap memory.
std::string bytes_at(const char* address, std::size_t size) {
  const int fd = ::open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  std::string bytes(size, '\0');
  const ssize_t n = ::pread(fd, bytes.data(), size,
                            static_cast<off_t>(reinterpret_cast<std::uintptr_t>(address)));
  ::close(fd);
  REQUIRE(n == static_cast<ssize_t>(size));
  return bytes;
}

// True when the last 48 bytes of kSecret are still at `address` (the first 16 may be
// overwritten by the allocator's own bookkeeping once freed).
bool secret_tail_at(const char* address) {
  return bytes_at(address + 16, kSecret.size() - 16) == kSecret.substr(16);
}

}  // namespace

TEST_CASE("secret bytes: the buffer is wiped before it is freed", "[secret_bytes]") {
  auto secret = std::make_unique<SecretBytes>(kSecret);
  REQUIRE(secret->view() == kSecret);
  const char* buffer = secret->data();
  REQUIRE(secret_tail_at(buffer));  // the probe sees live bytes
  secret.reset();
  CHECK_FALSE(secret_tail_at(buffer));
  CHECK(bytes_at(buffer + 16, kSecret.size() - 16) == std::string(kSecret.size() - 16, '\0'));
}

TEST_CASE("secret bytes: assigning over a secret wipes the old buffer", "[secret_bytes]") {
  SecretBytes secret(kSecret);
  const char* old_buffer = secret.data();
  secret = SecretBytes("another");
  CHECK(secret.view() == "another");
  CHECK_FALSE(secret_tail_at(old_buffer));
}

TEST_CASE("secret bytes: a move hands the buffer over and leaves nothing behind",
          "[secret_bytes]") {
  SecretBytes from(kSecret);
  const char* buffer = from.data();
  const SecretBytes to(std::move(from));
  CHECK(to.data() == buffer);  // no copy was made
  CHECK(to.view() == kSecret);
  CHECK(from.empty());  // the moved-from state is specified: empty
}

TEST_CASE("secret bytes: a std::string handed over is wiped, short ones included",
          "[secret_bytes]") {
  const std::string text = GENERATE(std::string("short-pw"), kSecret);
  std::string source = text;
  const std::size_t capacity = source.capacity();
  const char* raw = source.data();  // the string's own buffer (inline when short)
  const SecretBytes secret = SecretBytes::taken_from(source);
  CHECK(secret.view() == text);
  CHECK(source.empty());
  CHECK(source.data() == raw);  // the same buffer, now wiped in full
  CHECK(std::string(raw, capacity) == std::string(capacity, '\0'));
}

TEST_CASE("secret bytes: truncating wipes the bytes cut off", "[secret_bytes]") {
  SecretBytes secret = SecretBytes::zeroed(kSecret.size());
  std::copy(kSecret.begin(), kSecret.end(), secret.data());
  const char* buffer = secret.data();
  secret.truncate(10);
  CHECK(secret.view() == kSecret.substr(0, 10));
  CHECK(bytes_at(buffer + 10, kSecret.size() - 10) == std::string(kSecret.size() - 10, '\0'));
}

TEST_CASE("secret bytes: page-sized buffers are excluded from core dumps", "[secret_bytes]") {
  const SecretBytes secret = SecretBytes::zeroed(3 * 4096);
  const auto address = reinterpret_cast<std::uintptr_t>(secret.data());
  // Find the mapping that holds the buffer in /proc/self/smaps and read its VmFlags.
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  std::string flags;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t start = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &start, &end) == 2) {  // a mapping's first line
      inside = start <= address && address < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      flags = line;
      break;
    }
  }
  INFO(flags);
  CHECK(flags.find(" dd") != std::string::npos);
}

}  // namespace kdb::sdk
