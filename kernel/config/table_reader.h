// Typed, schema-checked reads from one parsed TOML table. Every problem (unknown key,
// wrong type, value out of range, missing required key) becomes a ConfigError naming the
// dotted key and the line it is on. Internal to kernel/config: it exposes toml++ types.
//
// Lifetime: borrows the table and the source name; both must outlive the reader.
// Thread-safety: const methods only read; share freely between threads.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace keepdb::config {

class TableReader {
 public:
  // `path` is the table's dotted key ("" for the root, "cluster.member[0]" for an element).
  // Throws at once on the first key (in file order) that is not one of `known_keys`,
  // suggesting the closest known key when one is within edit distance 2.
  TableReader(const toml::table& table, std::string path, std::string_view source,
              std::initializer_list<std::string_view> known_keys);

  // The accessors below return nullopt (or nothing) for an absent key and throw on a present
  // key of the wrong type or range. `key` must be one of the known keys.
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min,
                                      std::int64_t max) const;
  std::optional<std::string> string(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<std::vector<std::string>> string_array(std::string_view key) const;
  std::optional<TableReader> table(std::string_view key,
                                   std::initializer_list<std::string_view> known_keys) const;
  // The raw sub-table, for free-form content (plugin options).
  const toml::table* raw_table(std::string_view key) const;
  // `key = [ {...}, ... ]` or `[[key]]` headers; element i has path "PATH.key[i]".
  std::vector<TableReader> array_of_tables(
      std::string_view key, std::initializer_list<std::string_view> known_keys) const;

  std::string key_path(std::string_view key) const;
  std::string_view source() const { return source_; }
  // The line of `key` if present, else of this table.
  std::uint32_t line_of(std::string_view key) const;
  std::uint32_t line() const;

  // Throws a ConfigError about `key` at line_of(key).
  [[noreturn]] void fail(std::string_view key, std::string_view message) const;

 private:
  void reject_unknown_keys() const;
  // The node for a known `key`, or nullptr when absent.
  const toml::node* find(std::string_view key) const;
  [[noreturn]] void fail_type(std::string_view key, std::string_view expected) const;

  const toml::table* table_;
  std::string path_;
  std::string_view source_;
  std::vector<std::string_view> known_keys_;
};

}  // namespace keepdb::config
