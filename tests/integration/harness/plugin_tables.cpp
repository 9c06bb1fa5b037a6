// The trusted plugin dir and the [plugins] / [[plugin]] config text of a test's keepd.
#include "tests/integration/harness/plugin_tables.h"

#include <stdexcept>

#include "tests/integration/harness/child_process.h"

namespace keepdb::integration {

namespace fs = std::filesystem;

namespace {

constexpr fs::perms kTrustedMode = fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec;  // 0755

// The hex SHA-256 of a file, by coreutils' sha256sum.
std::string sha256_of(const fs::path& file) {
  const ProgramResult result = run_program({"/usr/bin/sha256sum", file.string()});
  if (!result.status.exited_normally(0) || result.out.size() < 64) {
    throw std::runtime_error("sha256sum " + file.string() + ": " + result.err);
  }
  return result.out.substr(0, 64);
}

}  // namespace

std::string toml_string(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

void fill_plugin_dir(const fs::path& dir, const std::vector<PluginTable>& tables) {
  fs::create_directories(dir);
  fs::permissions(dir, kTrustedMode);
  for (const PluginTable& table : tables) {
    const fs::path copy = dir / table.library.filename();
    fs::copy_file(table.library, copy, fs::copy_options::overwrite_existing);
    fs::permissions(copy, kTrustedMode);
  }
}

std::string render_plugin_tables(const fs::path& dir, const std::vector<PluginTable>& tables,
                                 const std::string& plugins_lines) {
  std::string text = "\n[plugins]\ndir = " + toml_string(dir.string()) + "\n" + plugins_lines;
  for (const PluginTable& table : tables) {
    text += "\n[[plugin]]\nname = " + toml_string(table.name) + "\n";
    text += "path = " + toml_string(table.library.filename().string()) + "\n";
    if (table.fail_closed) text += "fail_closed = true\n";
    if (table.pinned) {
      text += "sha256 = " + toml_string(sha256_of(dir / table.library.filename())) + "\n";
    }
    if (!table.options.empty()) text += "[plugin.options]\n";
    for (const auto& [key, value] : table.options) text += key + " = " + toml_string(value) + "\n";
  }
  return text;
}

}  // namespace keepdb::integration
