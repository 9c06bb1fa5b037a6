// Schema checks and redaction for plugin options.
#include "kernel/plugin_host/option_schema.h"

#include <sys/stat.h>

#include <set>

#include "kernel/plugin_host/descriptor_check.h"
#include "kernel/plugin_host/plugin_error.h"

namespace keepdb::plugin_host {
namespace {

const kdb_option_spec* find_spec(const kdb_plugin_descriptor& descriptor, std::string_view key) {
  for (std::size_t i = 0; i < descriptor.n_options; ++i) {
    const kdb_option_spec& spec = option_spec_at(descriptor, i);
    if (key == spec.key) return &spec;
  }
  return nullptr;
}

std::string accepted_keys(const kdb_plugin_descriptor& descriptor) {
  if (descriptor.n_options == 0) return "it accepts no options";
  std::string keys = "it accepts: ";
  for (std::size_t i = 0; i < descriptor.n_options; ++i) {
    if (i > 0) keys += ", ";
    keys += option_spec_at(descriptor, i).key;
  }
  return keys;
}

}  // namespace

void check_options(std::string_view label, const kdb_plugin_descriptor& descriptor,
                   const OptionList& options) {
  std::set<std::string_view> seen;
  for (const auto& [key, value] : options) {
    if (find_spec(descriptor, key) == nullptr) {
      throw PluginError(std::string(label) + ": unknown option '" + key + "'; " +
                        accepted_keys(descriptor));
    }
    if (!seen.insert(key).second) {
      throw PluginError(std::string(label) + ": option '" + key + "' is given twice");
    }
  }
  for (std::size_t i = 0; i < descriptor.n_options; ++i) {
    const kdb_option_spec& spec = option_spec_at(descriptor, i);
    if ((spec.flags & KDB_OPT_REQUIRED) != 0 && seen.count(spec.key) == 0) {
      throw PluginError(std::string(label) + ": missing required option '" + spec.key + "'");
    }
  }
}

OptionList resolve_path_options(const kdb_plugin_descriptor& descriptor, OptionList options,
                                const std::filesystem::path& config_dir) {
  if (config_dir.empty()) return options;
  for (auto& [key, value] : options) {
    const kdb_option_spec* spec = find_spec(descriptor, key);
    if (spec == nullptr || (spec->flags & KDB_OPT_PATH) == 0 || value.empty()) continue;
    const std::filesystem::path path(value);
    if (path.is_relative()) value = (config_dir / path).lexically_normal().string();
  }
  return options;
}

std::string option_fingerprint(const kdb_plugin_descriptor& descriptor, const OptionList& options,
                               const std::filesystem::path& config_dir) {
  std::string fingerprint;
  for (const auto& [key, value] : resolve_path_options(descriptor, options, config_dir)) {
    fingerprint += key + '\0' + value + '\0';
    const kdb_option_spec* spec = find_spec(descriptor, key);
    if (spec == nullptr || (spec->flags & KDB_OPT_PATH) == 0 || value.empty()) continue;
    struct stat info {};
    if (::stat(value.c_str(), &info) != 0) {
      fingerprint += "missing";
    } else {
      for (const auto field :
           {static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
            static_cast<std::uint64_t>(info.st_size), static_cast<std::uint64_t>(info.st_mode),
            static_cast<std::uint64_t>(info.st_uid), static_cast<std::uint64_t>(info.st_mtim.tv_sec),
            static_cast<std::uint64_t>(info.st_mtim.tv_nsec)}) {
        fingerprint += std::to_string(field) + ' ';
      }
    }
    fingerprint += '\0';
  }
  return fingerprint;
}

std::string describe_options(const kdb_plugin_descriptor& descriptor, const OptionList& options) {
  if (options.empty()) return "(none)";
  std::string text;
  for (const auto& [key, value] : options) {
    if (!text.empty()) text += ", ";
    const kdb_option_spec* spec = find_spec(descriptor, key);
    const bool sensitive = spec == nullptr || (spec->flags & KDB_OPT_SENSITIVE) != 0;
    text += key + "=" + (sensitive ? std::string("<redacted>") : value);
  }
  return text;
}

}  // namespace keepdb::plugin_host
