// Loading a configuration: reading the file (bounded), screening its bytes, parsing with
// toml++ and handing the document to the schema. Every failure becomes a ConfigError.
#include "kernel/config/config.h"

#include <cerrno>
#include <fstream>
#include <system_error>

#include <toml++/toml.h>

#include "kernel/config/error_text.h"
#include "kernel/config/input_guard.h"
#include "kernel/config/schema.h"

namespace keepdb::config {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxFileBytes = 1 << 20;

std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

// Reads at most kMaxFileBytes + 1 bytes, so an oversized file is detected without reading it
// all (and pipes or special files work too).
std::string read_bounded(const fs::path& path, std::string_view source) {
  std::error_code error;
  if (fs::is_directory(path, error)) throw_config_error({source}, "is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_config_error({source}, "cannot open: " + errno_text());
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw_config_error({source}, "cannot read: " + errno_text());
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

fs::path absolute_or_throw(const fs::path& path, std::string_view source) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) throw_config_error({source}, "cannot resolve the directory: " + error.message());
  return absolute;
}

Config parse(std::string_view text, const fs::path& source_path, const fs::path& base_dir) {
  const std::string source = source_path.string();
  if (text.size() > kMaxFileBytes) throw_config_error({source}, "larger than 1 MiB; refused");
  if (const auto fault = find_unsafe_input(text)) {
    throw_config_error({source, fault->line}, fault->message);
  }
  toml::table document;
  try {
    document = toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& error) {
    throw_config_error({source, error.source().begin.line}, error.description());
  }
  Config config = read_config(document, source, base_dir);
  config.source = source_path;
  return config;
}

}  // namespace

Config load_file(const fs::path& path) {
  const std::string source = path.string();
  const fs::path base_dir = absolute_or_throw(path, source).parent_path();
  return parse(read_bounded(path, source), path, base_dir);
}

Config load_string(std::string_view toml_text, const fs::path& source_name) {
  return parse(toml_text, source_name, absolute_or_throw(".", source_name.string()));
}

}  // namespace keepdb::config
