// How a token is stored and recognised: its SHA-256 (OpenSSL EVP), as raw bytes and as
// 64 lowercase hex characters. Header-only, shared by the auth-token plugin, `keepd token`
// and the auth benchmark, so there is exactly one definition of "the hash of a token".
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace keepdb::auth_token {

using TokenDigest = std::array<unsigned char, 32>;

// Tokens shorter than this are refused everywhere (the plugin, `keepd token hash`).
inline constexpr std::size_t kMinTokenLength = 16;
// Longer tokens are refused without hashing them.
inline constexpr std::size_t kMaxTokenLength = 4096;

// SHA-256 of the token's bytes (any bytes, NUL included). Throws std::runtime_error only
// if OpenSSL cannot provide SHA-256.
inline TokenDigest token_digest(std::string_view token) {
  TokenDigest digest{};
  unsigned int length = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    throw std::runtime_error("SHA-256 is unavailable in this OpenSSL");
  }
  return digest;
}

// Lowercase hex of any bytes (a digest, or a fresh random token).
inline std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes.size());
  for (const unsigned char byte : bytes) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

// The digest written as 64 hex characters (either case), or nullopt.
inline std::optional<TokenDigest> digest_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  TokenDigest digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    digest[i] = static_cast<unsigned char>(high << 4 | low);
  }
  return digest;
}

}  // namespace keepdb::auth_token
