// Owns what the audit integration tests read back from plugins/audit: the records of a JSON
// Lines audit file (parsed with Boost.JSON, a partial last line ignored), matching them by
// field, the built plugin and keepdb-audit tool, running `keepdb-audit verify`, and the
// auth-token secrets lines of the tests that authenticate.
//
// Thread-safety: pure functions on files; one test thread.
#pragma once

#include <boost/json.hpp>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/integration/harness/child_process.h"

namespace keepdb::integration::audit {

// libkeepdb_audit.so, keepdb-audit and libkeepdb_auth_token.so as this build tree made them.
std::filesystem::path audit_plugin();
std::filesystem::path audit_tool();
std::filesystem::path auth_token_plugin();

// Every whole record of `file`, in order ({} when it does not exist).
std::vector<boost::json::object> read_records(const std::filesystem::path& file);

// A field's wanted value: a string, or null (the field must be JSON null).
using Field = std::pair<std::string_view, std::string_view>;
inline constexpr std::string_view kNull = "\x01null";

// The records whose fields hold exactly `fields` (string members compared as text).
std::vector<boost::json::object> matching(const std::vector<boost::json::object>& records,
                                          std::initializer_list<Field> fields);

// Polls `file` until some records match `fields` (or the reply deadline passes); returns
// the matching records ({} at the deadline).
std::vector<boost::json::object> wait_for_records(const std::filesystem::path& file,
                                                  std::initializer_list<Field> fields);

// The string member `name` of `record`, "" when absent or not a string.
std::string text_of(const boost::json::object& record, std::string_view name);

// A plugins/auth-token secrets file line: the token's digest, its roles and principal.
std::string secrets_line(const std::string& token, const std::string& roles,
                         const std::string& principal);

// `keepdb-audit verify FILE...`.
ProgramResult verify(const std::vector<std::filesystem::path>& files);

}  // namespace keepdb::integration::audit
