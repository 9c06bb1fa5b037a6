// The strict building blocks of auth-jwt: base64url decoding and duplicate-refusing JSON.
#include <catch2/catch.hpp>

#include "plugins/auth-jwt/base64url.h"
#include "plugins/auth-jwt/strict_json.h"

namespace keepdb::auth_jwt {
namespace {

bool decodes(std::string_view text) {
  return decode_base64url(text).has_value();
}

}  // namespace

TEST_CASE("jwt base64url: round trips every length and decodes the URL alphabet", "[jwt]") {
  std::string bytes;
  for (int length = 0; length < 40; ++length) {
    REQUIRE(decode_base64url(encode_base64url(bytes)) == bytes);
    bytes.push_back(static_cast<char>(0xf0 + length % 16));
  }
  CHECK(decode_base64url("-_8") == std::string("\xfb\xff"));
  CHECK(decode_base64url("") == std::string());
}

TEST_CASE("jwt base64url: padding and the standard alphabet are refused", "[jwt]") {
  CHECK_FALSE(decodes("YQ=="));
  CHECK_FALSE(decodes("YQ="));
  CHECK_FALSE(decodes("+/8"));
  CHECK_FALSE(decodes("YW Jj"));
  CHECK_FALSE(decodes("YWJj\n"));
  CHECK_FALSE(decodes(std::string_view("YW\0j", 4)));
}

TEST_CASE("jwt base64url: impossible lengths and non-canonical last characters are refused",
          "[jwt]") {
  CHECK_FALSE(decodes("A"));
  CHECK_FALSE(decodes("AAAAA"));
  CHECK(decodes("YQ"));        // 'a'
  CHECK_FALSE(decodes("YR"));  // the same byte with leftover bits set
  CHECK(decodes("YWI"));       // 'ab'
  CHECK_FALSE(decodes("YWJ"));
}

TEST_CASE("jwt json: a repeated key is refused at any depth", "[jwt]") {
  const auto flat = parse_strict_object(R"({"alg":"HS256","alg":"none"})");
  REQUIRE(std::holds_alternative<JsonError>(flat));
  CHECK(std::get<JsonError>(flat).reason == "duplicate key");
  const auto nested = parse_strict_object(R"({"a":{"b":1,"b":2}})");
  REQUIRE(std::holds_alternative<JsonError>(nested));
  CHECK(std::get<JsonError>(nested).reason == "duplicate key");
  // The same key in sibling objects is fine.
  CHECK(std::holds_alternative<boost::json::object>(
      parse_strict_object(R"({"a":{"b":1},"c":{"b":2},"l":[{"b":1},{"b":1}]})")));
}

TEST_CASE("jwt json: non-objects, trailing bytes, comments and deep nesting are refused", "[jwt]") {
  const auto error_of = [](std::string_view text) {
    const auto parsed = parse_strict_object(text);
    return std::holds_alternative<JsonError>(parsed) ? std::get<JsonError>(parsed).reason
                                                     : std::string("parsed");
  };
  CHECK(error_of("[1,2]") == "not a JSON object");
  CHECK(error_of(R"({"a":1} x)") == "not valid JSON");
  CHECK(error_of(R"({"a":1 /* c */})") == "not valid JSON");
  CHECK(error_of(R"({"a":1,})") == "not valid JSON");
  CHECK(error_of("{\"a\":\"\xff\"}") == "not valid JSON");
  CHECK(error_of(R"({"a":)") == "not valid JSON");
  CHECK(error_of(std::string(40, '[') + std::string(40, ']')) == "nested deeper than 16");
  const auto value = parse_strict_object(R"({"k":"v","n":[1,2.5,-3,true,null]})");
  REQUIRE(std::holds_alternative<boost::json::object>(value));
  CHECK(std::get<boost::json::object>(value).at("k") == "v");
}

}  // namespace keepdb::auth_jwt
