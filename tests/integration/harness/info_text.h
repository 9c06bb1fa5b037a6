// Reading INFO replies: "field:value" lines separated by CRLF, under "# Section" headers.
//
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace keepdb::integration {

// The value of `field` in the text of an INFO reply, "" when the field is absent.
std::string info_field(std::string_view info_text, std::string_view field);

}  // namespace keepdb::integration
