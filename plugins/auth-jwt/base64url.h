// Strict base64url (RFC 4648 section 5, unpadded, as JWS uses it) decoding through OpenSSL's
// EVP_DecodeBlock: the alphabet is translated to standard base64 and padded first, after the
// input has been checked character by character, so nothing lenient reaches OpenSSL.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keepdb::auth_jwt {

// The decoded bytes of `text`, or nullopt when it is not canonical unpadded base64url: a
// character outside [A-Za-z0-9_-] (padding '=' included), a length of 1 modulo 4, or
// non-zero bits left over in the last character (so every byte string has exactly one
// accepted encoding).
std::optional<std::string> decode_base64url(std::string_view text);

// Unpadded base64url of `bytes`: how the tests, the fuzz target and the benchmark build
// tokens; decode_base64url accepts exactly what this produces.
std::string encode_base64url(std::string_view bytes);

}  // namespace keepdb::auth_jwt
