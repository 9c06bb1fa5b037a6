// Streams a file through EVP SHA-256.
#include "kernel/plugin_host/file_digest.h"

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "kernel/plugin_host/plugin_error.h"

namespace keepdb::plugin_host {

std::string sha256_file_hex(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw PluginError(file.string() + ": cannot read: " + std::strerror(errno));

  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                        &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    throw PluginError("SHA-256 is unavailable in this OpenSSL");
  }
  std::array<char, 64 * 1024> chunk;
  while (in) {
    in.read(chunk.data(), chunk.size());
    if (in.gcount() > 0 &&
        EVP_DigestUpdate(context.get(), chunk.data(), static_cast<size_t>(in.gcount())) != 1) {
      throw PluginError(file.string() + ": SHA-256 update failed");
    }
  }
  if (in.bad()) throw PluginError(file.string() + ": read error");

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
  unsigned int digest_len = 0;
  if (EVP_DigestFinal_ex(context.get(), digest.data(), &digest_len) != 1) {
    throw PluginError(file.string() + ": SHA-256 final failed");
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
