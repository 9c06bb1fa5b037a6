// Rendering of the harness's keepd configuration file and of integer settings.
#include "tests/integration/harness/keepd_config.h"

#ifndef KEEPD_BINARY
#error "KEEPD_BINARY must name the keepd under test (set by tests/integration/harness)"
#endif

namespace keepdb::integration {

std::filesystem::path keepd_binary() {
  return KEEPD_BINARY;
}

std::string render_keys(const IntegerKeys& keys) {
  std::string text;
  for (const auto& [key, value] : keys) text += key + " = " + std::to_string(value) + "\n";
  return text;
}

std::string render_config(const KeepdSettings& settings, std::uint16_t port) {
  std::string text = "# written by the KeepDB integration harness\nnode_id = 1\n\n[storage]\n";
  text += "data_dir = \"" + settings.data_dir + "\"\n" + render_keys(settings.storage);
  if (!settings.log_dir.empty()) text += "log_dir = \"" + settings.log_dir + "\"\n";
  text += "\n[client]\nhost = \"127.0.0.1\"\n";
  text += "port = " + std::to_string(port) + "\n" + settings.client_lines;
  if (!settings.limits.empty()) text += "\n[limits]\n" + render_keys(settings.limits);
  if (!settings.cluster.empty()) text += "\n[cluster]\n" + render_keys(settings.cluster);
  if (!settings.extra_tables.empty()) text += "\n" + settings.extra_tables;
  return text;
}

}  // namespace keepdb::integration
