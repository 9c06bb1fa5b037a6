// Schema-checked access to one TOML table: unknown keys (with a "did you mean"), types,
// ranges, and the line numbers every ConfigError carries.
#include "kernel/config/table_reader.h"

#include <algorithm>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "kernel/config/error_text.h"

namespace keepdb::config {
namespace {

constexpr std::size_t kMaxSuggestionDistance = 2;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

// The first of `candidates` closest to `key`, if within kMaxSuggestionDistance.
std::optional<std::string_view> closest_key(std::string_view key,
                                            const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = kMaxSuggestionDistance + 1;
  for (const std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(key, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string type_name(const toml::node& node) {
  std::ostringstream name;
  name << node.type();
  return name.str();
}

std::uint32_t line_or(const toml::source_region& region, std::uint32_t fallback) {
  return region.begin.line != 0 ? region.begin.line : fallback;
}

std::string element_path(std::string_view array_path, std::size_t index) {
  return std::string(array_path) + "[" + std::to_string(index) + "]";
}

}  // namespace

TableReader::TableReader(const toml::table& table, std::string path, std::string_view source,
                         std::initializer_list<std::string_view> known_keys)
    : table_(&table), path_(std::move(path)), source_(source), known_keys_(known_keys) {
  reject_unknown_keys();
}

void TableReader::reject_unknown_keys() const {
  const toml::key* first_unknown = nullptr;
  for (const auto& [key, node] : *table_) {
    if (std::find(known_keys_.begin(), known_keys_.end(), key.str()) != known_keys_.end()) {
      continue;
    }
    const auto position = [](const toml::key* k) {
      return std::tie(k->source().begin.line, k->source().begin.column);
    };
    if (first_unknown == nullptr || position(&key) < position(first_unknown)) {
      first_unknown = &key;
    }
  }
  if (first_unknown == nullptr) return;
  const std::string_view name = first_unknown->str();
  std::string message = "unknown key '" + std::string(name) + "'";
  if (const auto suggestion = closest_key(name, known_keys_)) {
    message += "; did you mean '" + std::string(*suggestion) + "'?";
  }
  const std::string key = key_path(name);
  throw_config_error({source_, line_or(first_unknown->source(), line()), key}, message);
}

const toml::node* TableReader::find(std::string_view key) const {
  if (std::find(known_keys_.begin(), known_keys_.end(), key) == known_keys_.end()) {
    throw std::logic_error("TableReader: key '" + key_path(key) + "' is not in the schema");
  }
  return table_->get(key);
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* value = node->as_integer();
  if (value == nullptr) fail_type(key, "integer");
  const std::int64_t number = value->get();
  if (number < min || number > max) {
    if (max == std::numeric_limits<std::int64_t>::max()) {
      fail(key, "must be at least " + std::to_string(min));
    }
    fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return number;
}

std::optional<std::string> TableReader::string(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* value = node->as_string();
  if (value == nullptr) fail_type(key, "string");
  return value->get();
}

std::optional<bool> TableReader::boolean(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* value = node->as_boolean();
  if (value == nullptr) fail_type(key, "boolean");
  return value->get();
}

std::optional<std::vector<std::string>> TableReader::string_array(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* array = node->as_array();
  if (array == nullptr) fail_type(key, "array of strings");
  std::vector<std::string> strings;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto* value = element.as_string();
    if (value == nullptr) {
      const std::string path = element_path(key_path(key), i);
      throw_config_error({source_, line_or(element.source(), line_of(key)), path},
                         "wrong type: expected string, got " + type_name(element));
    }
    strings.push_back(value->get());
  }
  return strings;
}

std::optional<TableReader> TableReader::table(
    std::string_view key, std::initializer_list<std::string_view> known_keys) const {
  const toml::table* sub_table = raw_table(key);
  if (sub_table == nullptr) return std::nullopt;
  return TableReader(*sub_table, key_path(key), source_, known_keys);
}

const toml::table* TableReader::raw_table(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return nullptr;
  const auto* sub_table = node->as_table();
  if (sub_table == nullptr) fail_type(key, "table");
  return sub_table;
}

std::vector<TableReader> TableReader::array_of_tables(
    std::string_view key, std::initializer_list<std::string_view> known_keys) const {
  const toml::node* node = find(key);
  if (node == nullptr) return {};
  const auto* array = node->as_array();
  if (array == nullptr) fail_type(key, "array of tables");
  std::vector<TableReader> readers;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    std::string path = element_path(key_path(key), i);
    const auto* element_table = element.as_table();
    if (element_table == nullptr) {
      throw_config_error({source_, line_or(element.source(), line_of(key)), path},
                         "wrong type: expected table, got " + type_name(element));
    }
    readers.emplace_back(*element_table, std::move(path), source_, known_keys);
  }
  return readers;
}

std::string TableReader::key_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

std::uint32_t TableReader::line_of(std::string_view key) const {
  const toml::node* node = table_->get(key);
  return node != nullptr ? line_or(node->source(), line()) : line();
}

std::uint32_t TableReader::line() const {
  return line_or(table_->source(), 1);
}

void TableReader::fail(std::string_view key, std::string_view message) const {
  throw_config_error({source_, line_of(key), key_path(key)}, message);
}

void TableReader::fail_type(std::string_view key, std::string_view expected) const {
  fail(key, "wrong type: expected " + std::string(expected) + ", got " + type_name(*find(key)));
}

}  // namespace keepdb::config
