// Owns how a test gives keepd plugins: a trusted plugin directory (mode 0755) of private
// copies of built libraries, as the plugin host's trust check wants them (nothing in it
// writable by group or others), and the config text naming them: a [plugins] table with
// that dir and one [[plugin]] table per PluginTable, with its options, fail_closed and
// sha256 pin.
// SeamsKeepd, JwtKeepd and LocalCluster render their plugin tables with it; AuthKeepd fills
// its plugin dir with it.
//
// Thread-safety: plain values and functions on the caller's files; one test thread.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keepdb::integration {

struct PluginTable {
  using Options = std::vector<std::pair<std::string, std::string>>;
  PluginTable(std::string name_, std::filesystem::path library_, Options options_ = {},
              bool fail_closed_ = false)
      : name(std::move(name_)),
        library(std::move(library_)),
        options(std::move(options_)),
        fail_closed(fail_closed_) {}

  std::string name;
  std::filesystem::path library;  // a built library; copied into the plugin dir
  Options options;                // [plugin.options], values written as TOML strings
  bool fail_closed = false;
  bool pinned = false;  // sha256 = the digest of the copy in the plugin dir
};

// A TOML basic string. Test paths and option values never hold control characters.
std::string toml_string(std::string_view text);

// Creates `dir` (mode 0755) and copies each table's library into it (mode 0755),
// replacing an earlier copy.
void fill_plugin_dir(const std::filesystem::path& dir, const std::vector<PluginTable>& tables);

// "[plugins]\ndir = ...\n" followed by `plugins_lines` (more [plugins] keys, verbatim),
// then one [[plugin]] table per entry, naming its library by file name (a pinned one with
// the digest of its copy in `dir`: fill_plugin_dir first).
std::string render_plugin_tables(const std::filesystem::path& dir,
                                 const std::vector<PluginTable>& tables,
                                 const std::string& plugins_lines = {});

}  // namespace keepdb::integration
