// Key loading: the HMAC secret file, PEM public keys (OpenSSL's PEM reader and d2i_PUBKEY),
// and JWKS (Boost.JSON, keys built with EVP_PKEY_fromdata or EVP_PKEY_new_raw_public_key_ex).
#include "plugins/auth-jwt/key_set.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <stdexcept>

#include "plugins/auth-jwt/base64url.h"
#include "plugins/auth-jwt/key_file.h"
#include "plugins/auth-jwt/strict_json.h"

namespace keepdb::auth_jwt {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxPublicFileBytes = 1 << 20;

[[noreturn]] void fail(std::string_view where, const std::string& problem) {
  ERR_clear_error();
  throw std::invalid_argument(std::string(where) + ": " + problem);
}

// The type of an EVP public key this plugin can verify with, or a reason it cannot.
KeyType classify(const EVP_PKEY& key, const std::string& where) {
  if (EVP_PKEY_is_a(&key, "RSA")) {
    if (static_cast<std::size_t>(EVP_PKEY_get_bits(&key)) < kMinRsaBits) {
      fail(where, "RSA key shorter than " + std::to_string(kMinRsaBits) + " bits");
    }
    return KeyType::kRsa;
  }
  if (EVP_PKEY_is_a(&key, "ED25519") || EVP_PKEY_is_a(&key, "ED448")) return KeyType::kEdwards;
  if (EVP_PKEY_is_a(&key, "EC")) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &length) == 1) {
      const std::string_view name(group, length);
      if (name == "prime256v1" || name == "P-256") return KeyType::kEcP256;
      if (name == "secp384r1" || name == "P-384") return KeyType::kEcP384;
    }
    fail(where, "EC key on a curve other than P-256 or P-384");
  }
  fail(where, "unsupported key type (RSA, EC P-256/P-384, Ed25519 and Ed448 are)");
}

Key public_key(PublicKey pkey, std::string kid, std::string origin) {
  if (!pkey) fail(origin, "not a valid public key");
  Key key;
  key.type = classify(*pkey, origin);
  key.public_key = std::move(pkey);
  key.kid = std::move(kid);
  key.origin = std::move(origin);
  return key;
}

void load_hmac(const KeySources& sources, std::vector<Key>& keys) {
  const std::string& path = sources.hmac_secret_file;
  KeyFile file = read_key_file("hmac_secret_file", path, kMaxHmacBytes);
  require_private("hmac_secret_file", path, file.mode);
  if (file.bytes.size() < kMinHmacBytes) {
    fail("hmac_secret_file " + path, "holds " + std::to_string(file.bytes.size()) +
                                         " bytes; an HMAC secret needs at least " +
                                         std::to_string(kMinHmacBytes));
  }
  Key key;
  key.type = KeyType::kHmac;
  key.secret = std::move(file.bytes);
  key.kid = sources.hmac_kid;
  key.origin = "hmac_secret_file";
  keys.push_back(std::move(key));
}

void load_pem(const KeySources& sources, std::vector<Key>& keys) {
  const std::string& path = sources.public_key_file;
  const std::string where = "public_key_file " + path;
  const KeyFile file = read_key_file("public_key_file", path, kMaxPublicFileBytes);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(file.bytes.data(), static_cast<int>(file.bytes.size())), &BIO_free);
  if (!bio) fail(where, "out of memory");
  std::vector<Key> found;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
      const bool at_end = ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE;
      ERR_clear_error();
      if (!at_end) fail(where, "malformed PEM");
      break;
    }
    const std::string block(name);
    const unsigned char* cursor = data;
    PublicKey pkey(block == "PUBLIC KEY" ? d2i_PUBKEY(nullptr, &cursor, length) : nullptr);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_clear_free(data, static_cast<std::size_t>(length));
    if (block != "PUBLIC KEY") {
      fail(where, "holds a '" + block +
                      "' block; give public keys only (openssl pkey -pubout writes one)");
    }
    found.push_back(public_key(std::move(pkey), sources.public_key_kid,
                               "public_key_file key " + std::to_string(found.size() + 1)));
  }
  if (found.empty()) fail(where, "no PEM \"PUBLIC KEY\" block");
  if (!sources.public_key_kid.empty() && found.size() > 1) {
    fail(where, "public_key_kid names one key but the file holds " + std::to_string(found.size()) +
                    "; use a jwks_file for several keys with kids");
  }
  for (Key& key : found) keys.push_back(std::move(key));
}

// A JWK member holding base64url bytes, or fail.
std::string jwk_bytes(const json::object& jwk, std::string_view member, const std::string& where) {
  const json::value* value = jwk.if_contains(member);
  if (value == nullptr || !value->is_string()) {
    fail(where, "missing string member \"" + std::string(member) + "\"");
  }
  std::optional<std::string> bytes = decode_base64url(value->get_string());
  if (!bytes || bytes->empty()) {
    fail(where, "\"" + std::string(member) + "\" is not base64url");
  }
  return std::move(*bytes);
}

std::string optional_string(const json::object& jwk, std::string_view member,
                            const std::string& where) {
  const json::value* value = jwk.if_contains(member);
  if (value == nullptr) return {};
  if (!value->is_string()) fail(where, "\"" + std::string(member) + "\" is not a string");
  return std::string(value->get_string());
}

PublicKey from_params(const char* type, OSSL_PARAM_BLD* builder, const std::string& where) {
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(builder),
                                                                 &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    fail(where, "not a valid public key");
  }
  PublicKey key(pkey);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr), &EVP_PKEY_CTX_free);
  if (!check || EVP_PKEY_public_check(check.get()) != 1) fail(where, "not a valid public key");
  return key;
}

using ParamBuilder = std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)>;
using Bignum = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

Bignum to_bignum(const std::string& bytes) {
  return Bignum(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()), nullptr),
                &BN_free);
}

PublicKey rsa_jwk(const json::object& jwk, const std::string& where) {
  const Bignum n = to_bignum(jwk_bytes(jwk, "n", where));
  const Bignum e = to_bignum(jwk_bytes(jwk, "e", where));
  ParamBuilder builder(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!n || !e || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    fail(where, "out of memory");
  }
  return from_params("RSA", builder.get(), where);
}

PublicKey ec_jwk(const json::object& jwk, const std::string& where) {
  const std::string curve = optional_string(jwk, "crv", where);
  const bool p256 = curve == "P-256";
  if (!p256 && curve != "P-384") fail(where, "EC \"crv\" must be P-256 or P-384");
  const std::size_t coordinate = p256 ? 32 : 48;
  const std::string x = jwk_bytes(jwk, "x", where);
  const std::string y = jwk_bytes(jwk, "y", where);
  if (x.size() != coordinate || y.size() != coordinate) {
    fail(where, "\"x\" and \"y\" must be " + std::to_string(coordinate) + " bytes for " + curve);
  }
  const std::string point = "\x04" + x + y;  // SEC 1 uncompressed
  ParamBuilder builder(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      p256 ? "prime256v1" : "secp384r1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    fail(where, "out of memory");
  }
  return from_params("EC", builder.get(), where);
}

PublicKey okp_jwk(const json::object& jwk, const std::string& where) {
  const std::string curve = optional_string(jwk, "crv", where);
  if (curve != "Ed25519" && curve != "Ed448") fail(where, "OKP \"crv\" must be Ed25519 or Ed448");
  const std::string x = jwk_bytes(jwk, "x", where);
  if (x.size() != (curve == "Ed25519" ? 32u : 57u)) fail(where, "\"x\" has the wrong length");
  return PublicKey(
      EVP_PKEY_new_raw_public_key_ex(nullptr, curve == "Ed25519" ? "ED25519" : "ED448", nullptr,
                                     reinterpret_cast<const unsigned char*>(x.data()), x.size()));
}

Key oct_jwk(const json::object& jwk, const std::string& where, const std::string& path,
            mode_t mode) {
  require_private("jwks_file", path, mode);
  std::string secret = jwk_bytes(jwk, "k", where);
  Key key;
  key.type = KeyType::kHmac;
  key.secret = kdb::sdk::SecretBytes::taken_from(secret);
  if (key.secret.size() < kMinHmacBytes) {
    fail(where, "an HMAC secret needs at least " + std::to_string(kMinHmacBytes) + " bytes");
  }
  return key;
}

Key jwk_key(const json::object& jwk, const std::string& where, const std::string& path,
            mode_t mode) {
  for (const std::string_view member : {"d", "p", "q", "dp", "dq", "qi"}) {
    if (jwk.contains(member)) {
      fail(where, "holds private key material (\"" + std::string(member) +
                      "\"); a JWKS for verification holds public keys only");
    }
  }
  const std::string use = optional_string(jwk, "use", where);
  if (!use.empty() && use != "sig") fail(where, "\"use\" is \"" + use + "\", not \"sig\"");
  if (const json::value* ops = jwk.if_contains("key_ops")) {
    const bool verify =
        ops->is_array() && std::any_of(ops->get_array().begin(), ops->get_array().end(),
                                       [](const auto& op) { return op == "verify"; });
    if (!verify) fail(where, "\"key_ops\" does not include \"verify\"");
  }
  const std::string type = optional_string(jwk, "kty", where);
  Key key;
  if (type == "RSA") {
    key = public_key(rsa_jwk(jwk, where), {}, where);
  } else if (type == "EC") {
    key = public_key(ec_jwk(jwk, where), {}, where);
  } else if (type == "OKP") {
    key = public_key(okp_jwk(jwk, where), {}, where);
  } else if (type == "oct") {
    key = oct_jwk(jwk, where, path, mode);
  } else {
    fail(where, "\"kty\" must be RSA, EC, OKP or oct");
  }
  key.kid = optional_string(jwk, "kid", where);
  key.origin = where;
  if (const std::string alg = optional_string(jwk, "alg", where); !alg.empty()) {
    const AlgorithmInfo* info = find_algorithm(alg);
    if (info == nullptr || info->key_type != key.type) {
      fail(where, "\"alg\" \"" + alg + "\" is not one this plugin verifies with " +
                      std::string(describe(key.type)));
    }
    key.alg = info->alg;
  }
  return key;
}

void load_jwks(const KeySources& sources, std::vector<Key>& keys) {
  const std::string& path = sources.jwks_file;
  const std::string where = "jwks_file " + path;
  const KeyFile file = read_key_file("jwks_file", path, kMaxPublicFileBytes);
  // The file may hold HMAC secrets: the parsed copy is wiped when freed, like the text.
  auto parsed = parse_strict_object(file.bytes.view(), wiping_storage());
  if (const auto* error = std::get_if<JsonError>(&parsed)) fail(where, error->reason);
  const json::object& set = std::get<json::object>(parsed);
  const json::value* list = set.if_contains("keys");
  if (list == nullptr || !list->is_array()) fail(where, "no \"keys\" array");
  std::size_t number = 0;
  for (const json::value& jwk : list->get_array()) {
    const std::string key_where = where + " key " + std::to_string(++number);
    if (!jwk.is_object()) fail(key_where, "not a JSON object");
    keys.push_back(jwk_key(jwk.get_object(), key_where, path, file.mode));
  }
  if (number == 0) fail(where, "\"keys\" is empty");
}

}  // namespace

KeySet KeySet::load(const KeySources& sources) {
  KeySet set;
  if (!sources.hmac_secret_file.empty()) load_hmac(sources, set.keys_);
  if (!sources.public_key_file.empty()) load_pem(sources, set.keys_);
  if (!sources.jwks_file.empty()) load_jwks(sources, set.keys_);
  if (set.keys_.empty()) {
    throw std::invalid_argument(
        "no key: set hmac_secret_file, public_key_file or jwks_file (or several)");
  }
  if (set.keys_.size() > kMaxKeys) {
    throw std::invalid_argument("more than " + std::to_string(kMaxKeys) + " keys");
  }
  for (std::size_t i = 0; i < set.keys_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (!set.keys_[i].kid.empty() && set.keys_[i].kid == set.keys_[j].kid) {
        throw std::invalid_argument(set.keys_[i].origin + " and " + set.keys_[j].origin +
                                    " have the same kid '" + set.keys_[i].kid + "'");
      }
    }
  }
  return set;
}

std::string KeySet::summary() const {
  std::string text = std::to_string(keys_.size()) + (keys_.size() == 1 ? " key:" : " keys:");
  for (const Key& key : keys_) {
    text += " ";
    text += key.kid.empty() ? "(no kid)" : "kid '" + key.kid + "'";
    text += " ";
    text += describe(key.type);
    text += ";";
  }
  text.pop_back();
  return text;
}

}  // namespace keepdb::auth_jwt
