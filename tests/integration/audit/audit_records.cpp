// Reading plugins/audit's JSON Lines files back in the audit integration tests.
#include "tests/integration/audit/audit_records.h"

#include <sstream>

#include "plugins/auth-token/token_digest.h"

#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/temp_dir.h"

#if !defined(KEEPDB_AUDIT_SO) || !defined(KEEPDB_AUDIT_TOOL) || !defined(KEEPDB_AUTH_TOKEN_SO)
#error "the plugin and tool paths are set by tests/integration/audit/CMakeLists.txt"
#endif

namespace keepdb::integration::audit {

std::filesystem::path audit_plugin() {
  return KEEPDB_AUDIT_SO;
}

std::filesystem::path audit_tool() {
  return KEEPDB_AUDIT_TOOL;
}

std::filesystem::path auth_token_plugin() {
  return KEEPDB_AUTH_TOKEN_SO;
}

std::vector<boost::json::object> read_records(const std::filesystem::path& file) {
  std::vector<boost::json::object> records;
  std::istringstream lines(read_file(file));
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof()) break;  // no newline yet: a record still being written
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(line, error);
    if (!error && value.is_object()) records.push_back(std::move(value.as_object()));
  }
  return records;
}

std::string text_of(const boost::json::object& record, std::string_view name) {
  const boost::json::value* value = record.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::vector<boost::json::object> matching(const std::vector<boost::json::object>& records,
                                          std::initializer_list<Field> fields) {
  std::vector<boost::json::object> found;
  for (const boost::json::object& record : records) {
    bool all = true;
    for (const auto& [name, wanted] : fields) {
      const boost::json::value* value = record.if_contains(name);
      if (wanted == kNull) {
        all = all && value != nullptr && value->is_null();
      } else {
        all = all && value != nullptr && value->is_string() && value->as_string() == wanted;
      }
    }
    if (all) found.push_back(record);
  }
  return found;
}

std::vector<boost::json::object> wait_for_records(const std::filesystem::path& file,
                                                  std::initializer_list<Field> fields) {
  std::vector<boost::json::object> found;
  poll_until(
      [&] {
        found = matching(read_records(file), fields);
        return !found.empty();
      },
      kReplyTimeout);
  return found;
}

std::string secrets_line(const std::string& token, const std::string& roles,
                         const std::string& principal) {
  return auth_token::to_hex(auth_token::token_digest(token)) + " " + roles + " " + principal +
         "\n";
}

ProgramResult verify(const std::vector<std::filesystem::path>& files) {
  std::vector<std::string> argv{audit_tool().string(), "verify"};
  for (const auto& file : files) argv.push_back(file.string());
  return run_program(argv);
}

}  // namespace keepdb::integration::audit
