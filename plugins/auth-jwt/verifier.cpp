// Token verification, step by step; each step either passes or ends with a reason.
#include "plugins/auth-jwt/verifier.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>
#include <variant>

#include "plugins/auth-jwt/base64url.h"
#include "plugins/auth-jwt/strict_json.h"

namespace keepdb::auth_jwt {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxShownBytes = 64;
constexpr std::size_t kMaxNameBytes = 255;              // the host lends a 256-byte name buffer
constexpr double kMaxNumericDate = 9007199254740992.0;  // 2^53: exact in a double

// A public identifier from the token, safe for a log line: quoted, printable ASCII only,
// at most kMaxShownBytes.
std::string shown(std::string_view value) {
  std::string text = "'";
  for (const char c : value.substr(0, kMaxShownBytes)) {
    text += c >= 0x20 && c < 0x7f ? c : '?';
  }
  if (value.size() > kMaxShownBytes) text += "...";
  return text + "'";
}

Verdict reject(std::string reason) {
  return Verdict{Verdict::Outcome::kRejected, std::move(reason), {}, 0, 0};
}

// A NumericDate (seconds since the epoch, possibly fractional), rounded down or up.
enum class Round { kDown, kUp };
std::optional<std::uint64_t> numeric_date(const json::value& value, Round round) {
  if (value.is_uint64()) return value.get_uint64();
  if (value.is_int64()) {
    if (value.get_int64() < 0) return std::nullopt;
    return static_cast<std::uint64_t>(value.get_int64());
  }
  if (value.is_double()) {
    const double seconds = value.get_double();
    if (!(seconds >= 0 && seconds < kMaxNumericDate)) return std::nullopt;  // NaN too
    return static_cast<std::uint64_t>(round == Round::kDown ? std::floor(seconds)
                                                            : std::ceil(seconds));
  }
  return std::nullopt;
}

// The value at `path`: a top-level member of that exact name, else a dotted path.
const json::value* claim_at(const json::object& claims, std::string_view path) {
  if (const json::value* exact = claims.if_contains(path)) return exact;
  const json::object* object = &claims;
  for (;;) {
    const std::size_t dot = path.find('.');
    const json::value* value = object->if_contains(path.substr(0, dot));
    if (value == nullptr || dot == std::string_view::npos) return value;
    if (!value->is_object()) return nullptr;
    object = &value->get_object();
    path.remove_prefix(dot + 1);
  }
}

bool usable_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

struct Parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;  // header.payload, as sent
};

std::optional<Parts> split_token(std::string_view token) {
  const std::size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return Parts{token.substr(0, first), token.substr(first + 1, second - first - 1),
               token.substr(second + 1), token.substr(0, second)};
}

// A decoded, strictly parsed JSON object part, or a rejection reason.
std::variant<json::object, std::string> decode_object(std::string_view part,
                                                      std::string_view what) {
  const std::optional<std::string> bytes = decode_base64url(part);
  if (!bytes) return std::string(what) + " is not base64url";
  auto parsed = parse_strict_object(*bytes);
  if (const auto* error = std::get_if<JsonError>(&parsed)) {
    return std::string(what) + " is not a JSON object: " + error->reason;
  }
  return std::move(std::get<json::object>(parsed));
}

class Check {
 public:
  Check(const Policy& policy, const KeySet& keys, std::uint64_t now)
      : policy_(policy), keys_(keys), now_(now) {}

  Verdict run(std::string_view username, std::string_view token) const {
    if (token.size() > policy_.max_token_bytes) {
      return reject("token of " + std::to_string(token.size()) +
                    " bytes is longer than max_token_bytes (" +
                    std::to_string(policy_.max_token_bytes) + ")");
    }
    const std::optional<Parts> parts = split_token(token);
    if (!parts) {
      return Verdict{Verdict::Outcome::kNotMine,
                     "not a JWT (expected three dot-separated base64url parts)",
                     {},
                     0,
                     0};
    }
    auto header = decode_object(parts->header, "header");
    if (auto* reason = std::get_if<std::string>(&header)) return reject(std::move(*reason));
    const AlgorithmInfo* alg = nullptr;
    if (std::string reason = check_header(std::get<json::object>(header), alg); !reason.empty()) {
      return reject(std::move(reason));
    }
    if (std::string reason = check_signature(*parts, std::get<json::object>(header), *alg);
        !reason.empty()) {
      return reject(std::move(reason));
    }
    auto claims = decode_object(parts->payload, "payload");
    if (auto* reason = std::get_if<std::string>(&claims)) return reject(std::move(*reason));
    return check_claims(std::get<json::object>(claims), username);
  }

 private:
  // Sets `alg` and returns "" when the header may be verified; else the reason.
  std::string check_header(const json::object& header, const AlgorithmInfo*& alg) const {
    const json::value* name = header.if_contains("alg");
    if (name == nullptr || !name->is_string()) return "header has no alg";
    const std::string_view alg_name = name->get_string();
    const auto ascii_lower = [](char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; };
    if (std::ranges::equal(alg_name, std::string_view("none"), {}, ascii_lower)) {
      return "alg 'none' (an unsigned token) is never accepted";
    }
    alg = find_algorithm(alg_name);
    if (alg == nullptr) return "alg " + shown(alg_name) + " is not supported";
    if (std::find(policy_.algorithms.begin(), policy_.algorithms.end(), alg->alg) ==
        policy_.algorithms.end()) {
      return "alg " + shown(alg_name) + " is not in the algorithms allow-list";
    }
    // No JWS extension is understood, so any crit is refused (RFC 7515 section 4.1.11).
    if (header.contains("crit")) return "header has crit: extensions are not understood";
    if (const json::value* kid = header.if_contains("kid"); kid != nullptr && !kid->is_string()) {
      return "kid is not a string";
    }
    return {};
  }

  std::string check_signature(const Parts& parts, const json::object& header,
                              const AlgorithmInfo& alg) const {
    std::optional<std::string> decoded = decode_base64url(parts.signature);
    if (!decoded) return "signature is not base64url";
    const kdb::sdk::SecretBytes signature = kdb::sdk::SecretBytes::taken_from(*decoded);
    const json::value* kid_value = header.if_contains("kid");
    if (kid_value != nullptr) {
      const std::string_view kid = kid_value->get_string();
      const auto keys = keys_.keys();
      const auto key = std::find_if(keys.begin(), keys.end(),
                                    [&](const Key& candidate) { return candidate.kid == kid; });
      if (key == keys.end()) return "unknown kid " + shown(kid) + ": no configured key has it";
      if (!usable_for(*key, alg)) {
        return "key " + shown(kid) + " is " + std::string(describe(key->type)) +
               ", which may not verify " + std::string(alg.name);
      }
      return verify_signature(alg, *key, parts.signing_input, signature.view()) ? ""
                                                                                : "bad signature";
    }
    bool any_usable = false;
    for (const Key& key : keys_.keys()) {
      if (!usable_for(key, alg)) continue;
      any_usable = true;
      if (verify_signature(alg, key, parts.signing_input, signature.view())) return {};
    }
    return any_usable ? "bad signature" : "no configured key may verify " + std::string(alg.name);
  }

  Verdict check_claims(const json::object& claims, std::string_view username) const {
    const json::value* exp_value = claims.if_contains("exp");
    if (exp_value == nullptr) return reject("no exp claim");
    const std::optional<std::uint64_t> exp = numeric_date(*exp_value, Round::kDown);
    if (!exp) return reject("exp is not a NumericDate");
    if (now_ >= *exp) return reject("token expired");
    std::optional<std::uint64_t> iat;
    if (const json::value* value = claims.if_contains("iat")) {
      iat = numeric_date(*value, Round::kUp);
      if (!iat) return reject("iat is not a NumericDate");
      if (*iat > now_ + policy_.clock_skew_s) return reject("token issued in the future (iat)");
    }
    if (const json::value* value = claims.if_contains("nbf")) {
      const std::optional<std::uint64_t> nbf = numeric_date(*value, Round::kUp);
      if (!nbf) return reject("nbf is not a NumericDate");
      if (*nbf > now_ + policy_.clock_skew_s) return reject("token not yet valid (nbf)");
    }
    if (*exp - now_ > policy_.max_lifetime_s ||
        (iat && *exp > *iat && *exp - *iat > policy_.max_lifetime_s)) {
      return reject("token lifetime exceeds max_lifetime_s (" +
                    std::to_string(policy_.max_lifetime_s) + " s)");
    }
    if (std::string reason = check_issuer_and_audience(claims); !reason.empty()) {
      return reject(std::move(reason));
    }
    const json::value* name = claims.if_contains(policy_.name_claim);
    if (name == nullptr || !name->is_string() || !usable_name(name->get_string())) {
      return reject("claim " + shown(policy_.name_claim) +
                    " is missing or not a usable principal name");
    }
    if (!username.empty() && username != "default") {
      const json::value* subject = claims.if_contains("sub");
      if (subject == nullptr || !subject->is_string() || subject->get_string() != username) {
        return reject("the username is not the token's sub");
      }
    }
    const std::optional<std::uint32_t> roles = roles_of(claims);
    if (!roles) {
      return reject("claim " + shown(policy_.roles_claim) +
                    " is not a string or an array of strings");
    }
    if (*roles == 0) return reject("no KeepDB role in claim " + shown(policy_.roles_claim));
    return Verdict{Verdict::Outcome::kAccepted, "token accepted", std::string(name->get_string()),
                   *roles, *exp};
  }

  std::string check_issuer_and_audience(const json::object& claims) const {
    const json::value* issuer = claims.if_contains("iss");
    if (issuer == nullptr || !issuer->is_string()) return "no iss claim";
    if (std::find(policy_.issuers.begin(), policy_.issuers.end(), issuer->get_string()) ==
        policy_.issuers.end()) {
      return "wrong issuer " + shown(issuer->get_string());
    }
    const json::value* audience = claims.if_contains("aud");
    if (audience == nullptr) return "no aud claim";
    if (audience->is_string()) {
      return audience->get_string() == policy_.audience ? "" : "wrong audience";
    }
    if (!audience->is_array()) return "aud is not a string or an array of strings";
    bool found = false;
    for (const json::value& item : audience->get_array()) {
      if (!item.is_string()) return "aud is not a string or an array of strings";
      found = found || item.get_string() == policy_.audience;
    }
    return found ? "" : "wrong audience";
  }

  // The roles the claim maps to (0 when it is absent or maps to none); nullopt when the
  // claim has the wrong type.
  std::optional<std::uint32_t> roles_of(const json::object& claims) const {
    const json::value* claim = claim_at(claims, policy_.roles_claim);
    if (claim == nullptr) return 0;
    std::uint32_t roles = 0;
    const auto grant = [&](std::string_view value) {
      for (const RoleMapping& mapping : policy_.role_map) {
        if (mapping.value == value) roles |= mapping.roles;
      }
    };
    if (claim->is_string()) {
      // A space- or comma-separated list, as OAuth scopes are written.
      std::string_view text = claim->get_string();
      while (!text.empty()) {
        const std::size_t end = std::min(text.find_first_of(" ,"), text.size());
        grant(text.substr(0, end));
        text.remove_prefix(std::min(end + 1, text.size()));
      }
      return roles;
    }
    if (!claim->is_array()) return std::nullopt;
    for (const json::value& item : claim->get_array()) {
      if (!item.is_string()) return std::nullopt;
      grant(item.get_string());
    }
    return roles;
  }

  const Policy& policy_;
  const KeySet& keys_;
  std::uint64_t now_;
};

}  // namespace

Verifier Verifier::create(const OptionLookup& lookup) {
  Settings settings = parse_settings(lookup);
  return Verifier(std::move(settings.policy), KeySet::load(settings.keys));
}

Verdict Verifier::verify(std::string_view username, std::string_view token,
                         std::uint64_t now_unix_s) const {
  return Check(policy_, keys_, now_unix_s).run(username, token);
}

}  // namespace keepdb::auth_jwt
