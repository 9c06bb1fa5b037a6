// JSON for tokens and key files: Boost.JSON's parser with a handler that refuses an object
// holding the same key twice (Boost.JSON would keep the last one silently, and two
// verifiers could then disagree on which `alg` or `exp` a token carries), a bounded depth
// and no extensions (comments, trailing commas, invalid UTF-8).
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <variant>

namespace keepdb::auth_jwt {

// A parse failure: why, without echoing the input.
struct JsonError {
  std::string reason;  // "duplicate key", "not valid JSON", "nested deeper than 16"
};

// The value of `text` if it is one complete JSON document (an object or anything else),
// allocated from `storage` (the parser's working memory too).
std::variant<boost::json::value, JsonError> parse_strict_json(
    std::string_view text, const boost::json::storage_ptr& storage = {});

// The object of `text`, or a reason: parse_strict_json plus "not a JSON object".
std::variant<boost::json::object, JsonError> parse_strict_object(
    std::string_view text, const boost::json::storage_ptr& storage = {});

// Storage that wipes (OPENSSL_cleanse) every block it frees: for JSON holding secrets, such
// as a JWKS file with HMAC keys. Shared and thread-safe (it keeps no state).
boost::json::storage_ptr wiping_storage();

}  // namespace keepdb::auth_jwt
