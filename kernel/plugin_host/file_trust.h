// The trusted-file rule for plugin libraries: a library, and the directory holding it,
// must be owned by root or by the user running keepd and must not be writable by group
// or others. Anyone who can replace a plugin can run code inside keepd.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <filesystem>
#include <string>

namespace keepdb::plugin_host {

// Empty when `library` (after resolving symlinks) and its directory satisfy the rule;
// otherwise one line saying which path breaks it and why, e.g.
//   "/opt/keepdb/plugins is writable by group or others (mode 0777)".
std::string untrusted_reason(const std::filesystem::path& library);

}  // namespace keepdb::plugin_host
