// Field lookup in INFO reply text.
#include "tests/integration/harness/info_text.h"

namespace keepdb::integration {

std::string info_field(std::string_view info_text, std::string_view field) {
  const std::string key = "\r\n" + std::string(field) + ":";
  const std::string text = "\r\n" + std::string(info_text);  // the first line too
  const std::size_t at = text.find(key);
  if (at == std::string::npos) return {};
  const std::size_t begin = at + key.size();
  return text.substr(begin, text.find("\r\n", begin) - begin);
}

}  // namespace keepdb::integration
