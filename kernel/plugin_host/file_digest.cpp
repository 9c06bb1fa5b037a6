// Streams an open file through EVP SHA-256.
#include "kernel/plugin_host/file_digest.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "kernel/plugin_host/plugin_error.h"

namespace keepdb::plugin_host {

std::string sha256_hex(int fd, const std::filesystem::path& name) {
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                        &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    throw PluginError("SHA-256 is unavailable in this OpenSSL");
  }
  std::array<char, 64 * 1024> chunk;
  off_t offset = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, chunk.data(), chunk.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw PluginError(name.string() + ": cannot read: " + std::strerror(errno));
    if (n == 0) break;
    if (EVP_DigestUpdate(context.get(), chunk.data(), static_cast<size_t>(n)) != 1) {
      throw PluginError(name.string() + ": SHA-256 update failed");
    }
    offset += n;
  }

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
  unsigned int digest_len = 0;
  if (EVP_DigestFinal_ex(context.get(), digest.data(), &digest_len) != 1) {
    throw PluginError(name.string() + ": SHA-256 final failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest_len);
  for (unsigned int i = 0; i < digest_len; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace keepdb::plugin_host
