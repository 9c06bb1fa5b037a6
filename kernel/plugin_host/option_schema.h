// A plugin's options checked against the schema in its descriptor: every key must be
// declared, every KDB_OPT_REQUIRED key present, no key given twice. Also resolves the
// relative values of KDB_OPT_PATH keys against the config file's directory, and renders
// options for the log with the values of KDB_OPT_SENSITIVE keys redacted.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <keepdb/plugin.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keepdb::plugin_host {

using OptionList = std::vector<std::pair<std::string, std::string>>;

// Throws PluginError naming `label` (e.g. "plugin 'tokens' (auth-token)") and the key:
//   "plugin 'tokens' (auth-token): unknown option 'secret_file'; it accepts: secrets_file,
//    min_token_length"
//   "plugin 'tokens' (auth-token): missing required option 'secrets_file'"
// Values never appear in the message.
void check_options(std::string_view label, const kdb_plugin_descriptor& descriptor,
                   const OptionList& options);

// `options` with every relative value of a KDB_OPT_PATH key made absolute against
// `config_dir` and lexically normalized ("secrets" -> "/etc/keepdb/secrets"). Other values,
// absolute paths and every value when `config_dir` is empty are returned unchanged.
OptionList resolve_path_options(const kdb_plugin_descriptor& descriptor, OptionList options,
                                const std::filesystem::path& config_dir);

// What a reload compares to decide whether an instance must be created again: the options
// (values as given, path values resolved) and, for each KDB_OPT_PATH value, the state of
// the file or directory it names (device, inode, size, modification time, mode, owner, or
// that it is missing), so an edited, replaced or re-permissioned file counts as a change.
// Opaque text; holds values, so never log it.
std::string option_fingerprint(const kdb_plugin_descriptor& descriptor, const OptionList& options,
                               const std::filesystem::path& config_dir);

// "secrets_file=/etc/keepdb/tokens, api_key=<redacted>"; "(none)" when empty.
std::string describe_options(const kdb_plugin_descriptor& descriptor, const OptionList& options);

}  // namespace keepdb::plugin_host
