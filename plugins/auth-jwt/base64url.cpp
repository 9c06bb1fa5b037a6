// base64url through OpenSSL's base64 codec, with the strictness JWS needs checked first.
#include "plugins/auth-jwt/base64url.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstddef>

namespace keepdb::auth_jwt {
namespace {

// EVP_DecodeBlock takes an int length; tokens are far smaller (max_token_bytes).
constexpr std::size_t kMaxEncodedBytes = std::size_t{1} << 30;

// The 6-bit value of a base64url character, or -1.
int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> decode_base64url(std::string_view text) {
  const std::size_t tail = text.size() % 4;
  if (tail == 1 || text.size() > kMaxEncodedBytes) return std::nullopt;
  std::string standard;
  standard.reserve(text.size() + 3);
  for (const char c : text) {
    if (sextet(c) < 0) return std::nullopt;
    standard.push_back(c == '-' ? '+' : c == '_' ? '/' : c);
  }
  // The bits of the last character beyond the final byte must be zero: 4 of them after 2
  // characters (one byte), 2 after 3 characters (two bytes).
  if (tail != 0) {
    const int unused_mask = tail == 2 ? 0x0f : 0x03;
    if ((sextet(text.back()) & unused_mask) != 0) return std::nullopt;
    standard.append(4 - tail, '=');
  }
  std::string bytes(standard.size() / 4 * 3, '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                      reinterpret_cast<const unsigned char*>(standard.data()),
                                      static_cast<int>(standard.size()));
  OPENSSL_cleanse(standard.data(), standard.size());  // a JWK "k" is a secret
  if (written < 0 || static_cast<std::size_t>(written) != bytes.size()) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes: drop them.
  bytes.resize(bytes.size() - (tail == 0 ? 0 : 4 - tail));
  return bytes;
}

std::string encode_base64url(std::string_view bytes) {
  std::string standard(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(standard.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  standard.resize(static_cast<std::size_t>(written));
  while (!standard.empty() && standard.back() == '=') standard.pop_back();
  for (char& c : standard) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return standard;
}

}  // namespace keepdb::auth_jwt
