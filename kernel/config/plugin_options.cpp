// Plugin options: free-form TOML table -> ordered, dotted key/value text pairs.
#include "kernel/config/plugin_options.h"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <tuple>

#include "kernel/config/error_text.h"

namespace keepdb::config {
namespace {

std::string float_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, result.ptr);
  // TOML floats need a fraction or exponent ("1.0", not "1"); inf and nan are spelled out.
  if (text.find_first_not_of("-0123456789") == std::string::npos) text += ".0";
  return text;
}

// The text of a scalar node; never called for tables or arrays.
std::string scalar_text(const toml::node& node) {
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* integer = node.as_integer()) return std::to_string(integer->get());
  if (const auto* boolean = node.as_boolean()) return boolean->get() ? "true" : "false";
  if (const auto* floating = node.as_floating_point()) return float_text(floating->get());
  std::ostringstream date_or_time;  // toml++ prints dates and times in TOML spelling
  node.visit([&](const auto& value) { date_or_time << value; });
  return date_or_time.str();
}

class OptionFlattener {
 public:
  OptionFlattener(std::string_view path, std::string_view source) : path_(path), source_(source) {}

  void add(const toml::node& node, const std::string& key) {
    if (const auto* table = node.as_table()) {
      for (const auto& [name, child] : *table) add(child, join(key, name));
    } else if (const auto* array = node.as_array()) {
      for (std::size_t i = 0; i < array->size(); ++i) {
        add(*array->get(i), prefix(key) + std::to_string(i));
      }
    } else {
      const toml::source_position& at = node.source().begin;
      entries_.push_back({at.line, at.column, key, scalar_text(node)});
    }
  }

  std::vector<std::pair<std::string, std::string>> take_in_file_order() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::vector<std::pair<std::string, std::string>> pairs;
    pairs.reserve(entries_.size());
    for (Entry& entry : entries_) pairs.emplace_back(std::move(entry.key), std::move(entry.value));
    return pairs;
  }

 private:
  struct Entry {
    std::uint32_t line;
    std::uint32_t column;
    std::string key;
    std::string value;
  };

  static std::string prefix(const std::string& key) { return key.empty() ? key : key + "."; }

  std::string join(const std::string& key, const toml::key& name) const {
    const std::string_view part = name.str();
    if (part.empty() || part.find('.') != std::string_view::npos) {
      const std::string full_key = std::string(path_) + "." + prefix(key) + std::string(part);
      throw_config_error({source_, name.source().begin.line, full_key},
                         "option keys must be non-empty and must not contain '.'");
    }
    return prefix(key) + std::string(part);
  }

  std::string_view path_;
  std::string_view source_;
  std::vector<Entry> entries_;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> flatten_plugin_options(const toml::table& options,
                                                                        std::string_view path,
                                                                        std::string_view source) {
  OptionFlattener flattener(path, source);
  flattener.add(options, "");
  return flattener.take_in_file_order();
}

}  // namespace keepdb::config
