// The algorithm table and EVP signature verification (HMAC via EVP_Q_mac, RSA PKCS#1 v1.5
// and PSS, ECDSA with the JWS r||s encoding turned into DER, EdDSA).
#include "plugins/auth-jwt/jwa.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <array>
#include <stdexcept>

namespace keepdb::auth_jwt {
namespace {

constexpr std::array kAlgorithms{
    AlgorithmInfo{Alg::kHS256, "HS256", KeyType::kHmac, "SHA256", 32},
    AlgorithmInfo{Alg::kHS384, "HS384", KeyType::kHmac, "SHA384", 48},
    AlgorithmInfo{Alg::kHS512, "HS512", KeyType::kHmac, "SHA512", 64},
    AlgorithmInfo{Alg::kRS256, "RS256", KeyType::kRsa, "SHA256", 32},
    AlgorithmInfo{Alg::kRS384, "RS384", KeyType::kRsa, "SHA384", 48},
    AlgorithmInfo{Alg::kRS512, "RS512", KeyType::kRsa, "SHA512", 64},
    AlgorithmInfo{Alg::kPS256, "PS256", KeyType::kRsa, "SHA256", 32, true},
    AlgorithmInfo{Alg::kES256, "ES256", KeyType::kEcP256, "SHA256", 32},
    AlgorithmInfo{Alg::kES384, "ES384", KeyType::kEcP384, "SHA384", 48},
    AlgorithmInfo{Alg::kEdDSA, "EdDSA", KeyType::kEdwards, nullptr, 0},
};

[[noreturn]] void openssl_failed(const char* what) {
  ERR_clear_error();
  throw std::runtime_error(std::string("OpenSSL failed: ") + what);
}

bool verify_hmac(const AlgorithmInfo& alg, const Key& key, std::string_view input,
                 std::string_view signature) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> tag{};
  std::size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, alg.digest, nullptr, key.secret.data(), key.secret.size(),
                reinterpret_cast<const unsigned char*>(input.data()), input.size(), tag.data(),
                tag.size(), &length) == nullptr) {
    openssl_failed("HMAC");
  }
  const bool equal =
      signature.size() == length && CRYPTO_memcmp(tag.data(), signature.data(), length) == 0;
  OPENSSL_cleanse(tag.data(), tag.size());
  return equal;
}

// JWS carries an ECDSA signature as r||s, each exactly `half` bytes; EVP wants DER.
std::optional<std::string> ecdsa_der(std::string_view signature, std::size_t half) {
  if (signature.size() != 2 * half) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), &ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + half, static_cast<int>(half), nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    openssl_failed("ECDSA_SIG");
  }
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) openssl_failed("i2d_ECDSA_SIG");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) openssl_failed("i2d_ECDSA_SIG");
  return der;
}

bool verify_public(const AlgorithmInfo& alg, const Key& key, std::string_view input,
                   std::string_view signature) {
  std::optional<std::string> der;
  if (alg.key_type == KeyType::kEcP256 || alg.key_type == KeyType::kEcP384) {
    der = ecdsa_der(signature, alg.hash_bytes);
    if (!der) return false;
    signature = *der;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pkey_ctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), &pkey_ctx, alg.digest, nullptr, nullptr,
                                      key.public_key.get(), nullptr) != 1) {
    openssl_failed("EVP_DigestVerifyInit_ex");
  }
  if (alg.pss && (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    openssl_failed("RSA-PSS parameters");
  }
  const int result = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(input.data()), input.size());
  ERR_clear_error();  // a bad signature leaves errors on this thread's queue
  return result == 1;
}

}  // namespace

std::span<const AlgorithmInfo> all_algorithms() {
  return kAlgorithms;
}

const AlgorithmInfo* find_algorithm(std::string_view name) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

const AlgorithmInfo& algorithm_info(Alg alg) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (info.alg == alg) return info;
  }
  throw std::logic_error("unknown Alg");
}

std::string_view describe(KeyType type) {
  switch (type) {
    case KeyType::kHmac:
      return "an HMAC secret";
    case KeyType::kRsa:
      return "an RSA public key";
    case KeyType::kEcP256:
      return "a P-256 public key";
    case KeyType::kEcP384:
      return "a P-384 public key";
    case KeyType::kEdwards:
      return "an Ed25519/Ed448 public key";
  }
  return "a key";
}

bool usable_for(const Key& key, const AlgorithmInfo& alg) {
  if (key.type != alg.key_type) return false;
  if (key.alg && *key.alg != alg.alg) return false;
  return key.type != KeyType::kHmac || key.secret.size() >= alg.hash_bytes;
}

bool verify_signature(const AlgorithmInfo& alg, const Key& key, std::string_view signing_input,
                      std::string_view signature) {
  if (!usable_for(key, alg)) throw std::logic_error("verify_signature: key not usable for alg");
  return alg.key_type == KeyType::kHmac ? verify_hmac(alg, key, signing_input, signature)
                                        : verify_public(alg, key, signing_input, signature);
}

}  // namespace keepdb::auth_jwt
