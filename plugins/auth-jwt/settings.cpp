// Option parsing: comma lists, bounded integers, the role map.
#include "plugins/auth-jwt/settings.h"

#include <algorithm>
#include <charconv>
#include <keepdb/plugin_sdk.hpp>
#include <stdexcept>

namespace keepdb::auth_jwt {
namespace {

[[noreturn]] void fail(std::string_view option, const std::string& problem) {
  throw std::invalid_argument(std::string(option) + ": " + problem);
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// The non-empty items of a `separator`-separated list, trimmed.
std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(separator, start), text.size());
    if (const std::string_view item = trim(text.substr(start, end - start)); !item.empty()) {
      items.emplace_back(item);
    }
    start = end + 1;
  }
  return items;
}

std::uint64_t bounded(const OptionLookup& lookup, std::string_view option, std::uint64_t fallback,
                      std::uint64_t low, std::uint64_t high) {
  const std::optional<std::string_view> text = lookup(option);
  if (!text) return fallback;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < low || value > high) {
    fail(option, "must be an integer from " + std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

std::vector<Alg> parse_algorithms(std::string_view text) {
  std::vector<Alg> algorithms;
  for (const std::string& name : split(text, ',')) {
    if (name == "none" || name == "None" || name == "NONE") {
      fail("algorithms", "'none' (unsigned tokens) is never accepted");
    }
    const AlgorithmInfo* info = find_algorithm(name);
    if (info == nullptr) fail("algorithms", "unknown algorithm '" + name + "'");
    algorithms.push_back(info->alg);
  }
  if (algorithms.empty()) fail("algorithms", "names no algorithm");
  return algorithms;
}

std::uint32_t parse_roles(std::string_view text) {
  std::uint32_t roles = 0;
  for (const std::string& role : split(text, '+')) {
    const std::uint32_t bit = kdb::sdk::role_bit(role);
    if (bit == 0) {
      fail("role_map", "unknown role '" + role + "' (roles: read, write, admin)");
    }
    roles |= bit;
  }
  if (roles == 0) fail("role_map", "an entry grants no role");
  return roles;
}

std::vector<RoleMapping> parse_role_map(std::optional<std::string_view> text) {
  if (!text) {
    return {{"read", KDB_ROLE_READ}, {"write", KDB_ROLE_WRITE}, {"admin", KDB_ROLE_ADMIN}};
  }
  std::vector<RoleMapping> map;
  for (const std::string& entry : split(*text, ',')) {
    const std::size_t equals = entry.find('=');
    if (equals == std::string::npos || trim(entry.substr(0, equals)).empty()) {
      fail("role_map", "entries are value=role+role, e.g. db-admin=read+write+admin");
    }
    map.push_back({std::string(trim(entry.substr(0, equals))),
                   parse_roles(std::string_view(entry).substr(equals + 1))});
  }
  if (map.empty()) fail("role_map", "names no mapping");
  return map;
}

std::string text_option(const OptionLookup& lookup, std::string_view option,
                        std::string_view fallback) {
  const std::string value(trim(lookup(option).value_or(fallback)));
  if (value.empty()) fail(option, "is empty");
  return value;
}

}  // namespace

Settings parse_settings(const OptionLookup& lookup) {
  Settings settings;
  Policy& policy = settings.policy;
  policy.algorithms = parse_algorithms(lookup("algorithms").value_or(""));
  policy.issuers = split(lookup("issuers").value_or(""), ',');
  if (policy.issuers.empty()) fail("issuers", "names no issuer");
  policy.audience = text_option(lookup, "audience", "");
  policy.clock_skew_s = bounded(lookup, "clock_skew_s", 60, 0, 300);
  policy.max_lifetime_s = bounded(lookup, "max_lifetime_s", 3600, 60, 30 * 24 * 3600);
  policy.max_token_bytes = bounded(lookup, "max_token_bytes", 8192, 1024, 65536);
  policy.roles_claim = text_option(lookup, "roles_claim", "roles");
  policy.role_map = parse_role_map(lookup("role_map"));
  policy.name_claim = text_option(lookup, "name_claim", "sub");

  KeySources& keys = settings.keys;
  keys.hmac_secret_file = lookup("hmac_secret_file").value_or("");
  keys.hmac_kid = lookup("hmac_kid").value_or("");
  keys.public_key_file = lookup("public_key_file").value_or("");
  keys.public_key_kid = lookup("public_key_kid").value_or("");
  keys.jwks_file = lookup("jwks_file").value_or("");
  if (!keys.hmac_kid.empty() && keys.hmac_secret_file.empty()) {
    fail("hmac_kid", "given without hmac_secret_file");
  }
  if (!keys.public_key_kid.empty() && keys.public_key_file.empty()) {
    fail("public_key_kid", "given without public_key_file");
  }
  return settings;
}

}  // namespace keepdb::auth_jwt
