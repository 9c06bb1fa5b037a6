// Binary-safe glob matching with Redis's pattern syntax: * ? [abc] [^abc] [a-z] and \x
// escapes. Iterative with single-star backtracking, so the cost is O(pattern * text) even
// for adversarial patterns like "*a*a*a*a*b".
#pragma once

#include <string_view>

namespace keepdb::commands {

bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace keepdb::commands
