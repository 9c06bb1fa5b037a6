// Key generation and signing for tests, with OpenSSL EVP.
#include "tests/unit/jwt/jwt_mint.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <boost/json/serialize.hpp>

#include <array>
#include <map>
#include <mutex>
#include <stdexcept>

#include "plugins/auth-jwt/base64url.h"

namespace keepdb::auth_jwt::testing {
namespace {

namespace json = boost::json;

[[noreturn]] void failed(const char* what) {
  ERR_clear_error();
  throw std::runtime_error(std::string("test minting: OpenSSL failed: ") + what);
}

std::string bignum_bytes(const EVP_PKEY* pkey, const char* param, std::size_t width = 0) {
  BIGNUM* number = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &number) != 1) failed(param);
  std::string bytes(width == 0 ? static_cast<std::size_t>(BN_num_bytes(number)) : width, '\0');
  BN_bn2binpad(number, reinterpret_cast<unsigned char*>(bytes.data()),
               static_cast<int>(bytes.size()));
  BN_free(number);
  return bytes;
}

// ECDSA DER -> JWS r||s, each `half` bytes.
std::string ecdsa_raw(std::string_view der, std::size_t half) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size()));
  if (sig == nullptr) failed("d2i_ECDSA_SIG");
  std::string raw(2 * half, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()),
               static_cast<int>(half));
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data() + half),
               static_cast<int>(half));
  ECDSA_SIG_free(sig);
  return raw;
}

}  // namespace

SigningKey SigningKey::generate(KeyType type, std::size_t hmac_bytes) {
  SigningKey key;
  key.type_ = type;
  EVP_PKEY* pkey = nullptr;
  switch (type) {
    case KeyType::kHmac:
      key.secret_.resize(hmac_bytes);
      if (RAND_bytes(reinterpret_cast<unsigned char*>(key.secret_.data()),
                     static_cast<int>(hmac_bytes)) != 1) {
        failed("RAND_bytes");
      }
      return key;
    case KeyType::kRsa:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
      break;
    case KeyType::kEcP256:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::kEcP384:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyType::kEdwards:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (pkey == nullptr) failed("EVP_PKEY_Q_keygen");
  key.pkey_.reset(pkey, &EVP_PKEY_free);
  return key;
}

const SigningKey& SigningKey::shared(KeyType type) {
  static std::mutex mutex;
  static std::map<KeyType, SigningKey> keys;
  const std::lock_guard lock(mutex);
  auto found = keys.find(type);
  if (found == keys.end()) found = keys.emplace(type, generate(type, 64)).first;
  return found->second;
}

SigningKey SigningKey::hmac_from(std::string_view secret) {
  SigningKey key;
  key.secret_ = secret;
  return key;
}

std::string SigningKey::public_pem() const {
  if (!pkey_) throw std::logic_error("an HMAC key has no public PEM");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) failed("PEM_write_bio_PUBKEY");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

json::object SigningKey::jwk(std::string_view kid, std::string_view alg) const {
  json::object jwk;
  switch (type_) {
    case KeyType::kHmac:
      jwk["kty"] = "oct";
      jwk["k"] = encode_base64url(secret_);
      break;
    case KeyType::kRsa:
      jwk["kty"] = "RSA";
      jwk["n"] = encode_base64url(bignum_bytes(pkey_.get(), OSSL_PKEY_PARAM_RSA_N));
      jwk["e"] = encode_base64url(bignum_bytes(pkey_.get(), OSSL_PKEY_PARAM_RSA_E));
      break;
    case KeyType::kEcP256:
    case KeyType::kEcP384: {
      const std::size_t width = type_ == KeyType::kEcP256 ? 32 : 48;
      jwk["kty"] = "EC";
      jwk["crv"] = type_ == KeyType::kEcP256 ? "P-256" : "P-384";
      jwk["x"] = encode_base64url(bignum_bytes(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_X, width));
      jwk["y"] = encode_base64url(bignum_bytes(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, width));
      break;
    }
    case KeyType::kEdwards: {
      std::array<unsigned char, 32> raw{};
      std::size_t length = raw.size();
      if (EVP_PKEY_get_raw_public_key(pkey_.get(), raw.data(), &length) != 1) {
        failed("EVP_PKEY_get_raw_public_key");
      }
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = encode_base64url(std::string_view(reinterpret_cast<char*>(raw.data()), length));
      break;
    }
  }
  if (!kid.empty()) jwk["kid"] = kid;
  if (!alg.empty()) jwk["alg"] = alg;
  return jwk;
}

std::string SigningKey::sign(const AlgorithmInfo& alg, std::string_view input) const {
  if (type_ == KeyType::kHmac) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> tag{};
    std::size_t length = 0;
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, alg.digest, nullptr, secret_.data(), secret_.size(),
                  reinterpret_cast<const unsigned char*>(input.data()), input.size(), tag.data(),
                  tag.size(), &length) == nullptr) {
      failed("HMAC");
    }
    return std::string(reinterpret_cast<char*>(tag.data()), length);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pkey_ctx = nullptr;
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), &pkey_ctx, alg.digest, nullptr, nullptr, pkey_.get(),
                                    nullptr) != 1) {
    failed("EVP_DigestSignInit_ex");
  }
  if (alg.pss && (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    failed("PSS");
  }
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size()) != 1) failed("sign size");
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                     input.size()) != 1) {
    failed("EVP_DigestSign");
  }
  signature.resize(length);
  if (type_ == KeyType::kEcP256 || type_ == KeyType::kEcP384) {
    return ecdsa_raw(signature, alg.hash_bytes);
  }
  return signature;
}

std::string mint(const SigningKey& key, std::string_view alg, std::string_view header_json,
                 std::string_view payload_json) {
  const std::string input = encode_base64url(header_json) + "." + encode_base64url(payload_json);
  const AlgorithmInfo* info = find_algorithm(alg);
  // An unknown alg ("none", "XX") is signed with HS256 so the token is well formed.
  const std::string signature = key.sign(info ? *info : *find_algorithm("HS256"), input);
  return input + "." + encode_base64url(signature);
}

std::string mint(const SigningKey& key, std::string_view alg, const json::object& claims,
                 std::string_view kid) {
  json::object header{{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  return mint(key, alg, json::serialize(header), json::serialize(claims));
}

json::object good_claims(std::uint64_t now) {
  return json::object{{"iss", kIssuer}, {"aud", kAudience},
                      {"sub", "alice"}, {"roles", json::array{"read", "write"}},
                      {"iat", now},     {"exp", now + 600}};
}

KeyType key_type_for(std::string_view alg) {
  const AlgorithmInfo* info = find_algorithm(alg);
  if (info == nullptr) throw std::invalid_argument("unknown alg");
  return info->key_type;
}

}  // namespace keepdb::auth_jwt::testing
