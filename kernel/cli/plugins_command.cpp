// keepd plugins list: every plugin library in a directory (and every one a config file
// names), opened through the real plugin host, with its identity, its load status, and
// which of its kinds this keepd drives.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <vector>

#include "kernel/cli/options.h"
#include "kernel/cli/subcommands.h"
#include "kernel/config/config.h"
#include "kernel/plugin_host/library_loader.h"
#include "kernel/plugin_host/plugin_set.h"

namespace keepdb::cli {
namespace {

namespace fs = std::filesystem;
using plugin_host::LibraryReport;
using plugin_host::LoadStatus;

// What the config file says about one library: its [[plugin]] name and sha256 pin.
struct Configured {
  std::string name;
  std::string sha256;
};

struct Row {
  LibraryReport report;
  std::string config_name;  // empty when no [[plugin]] table names the file
};

std::vector<std::string> kind_names(std::uint32_t kinds) {
  std::vector<std::string> names;
  if ((kinds & KDB_KIND_AUTHENTICATOR) != 0) names.emplace_back("authenticator");
  if ((kinds & KDB_KIND_TRANSPORT) != 0) names.emplace_back("transport");
  if ((kinds & KDB_KIND_ADMISSION) != 0) names.emplace_back("admission");
  if ((kinds & KDB_KIND_AUDIT) != 0) names.emplace_back("audit");
  return names;
}

std::string abi_text(const LibraryReport& report) {
  if (!report.abi_major) return "-";
  return std::to_string(*report.abi_major) + "." + std::to_string(*report.abi_minor);
}

// Every *.so in `dir`, then every configured library outside it, each once, sorted.
std::vector<fs::path> libraries(const fs::path& dir, const std::map<fs::path, Configured>& named) {
  std::vector<fs::path> found;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".so" && !entry.is_directory()) {
      found.push_back(fs::absolute(entry.path()).lexically_normal());
    }
  }
  for (const auto& [path, configured] : named) {
    if (std::find(found.begin(), found.end(), path) == found.end()) found.push_back(path);
  }
  std::sort(found.begin(), found.end());
  return found;
}

void print_table(const std::vector<Row>& rows) {
  std::cout << std::left << std::setw(22) << "STATUS" << std::setw(20) << "NAME" << std::setw(10)
            << "VERSION" << std::setw(16) << "KINDS" << std::setw(6) << "ABI"
            << "FILE\n";
  for (const Row& row : rows) {
    const LibraryReport& r = row.report;
    const bool ok = r.status == LoadStatus::kOk;
    std::string kinds;
    for (const std::string& kind :
         ok ? kind_names(r.descriptor->kinds) : std::vector<std::string>{}) {
      kinds += (kinds.empty() ? "" : ",") + kind;
    }
    std::cout << std::setw(22) << plugin_host::load_status_name(r.status) << std::setw(20)
              << (ok ? r.descriptor->name : "-") << std::setw(10)
              << (ok ? r.descriptor->version : "-") << std::setw(16) << (ok ? kinds : "-")
              << std::setw(6) << abi_text(r) << r.path.string() << "\n";
    if (!row.config_name.empty()) std::cout << "    [[plugin]] " << row.config_name << "\n";
    if (ok) {
      const std::uint32_t kinds = r.descriptor->kinds;
      std::cout << "    driven " << plugin_host::kind_names(kinds & plugin_host::kDrivenKinds)
                << "\n";
    }
    if (!r.sha256.empty()) std::cout << "    sha256 " << r.sha256 << "\n";
    if (!ok) std::cout << "    reason " << r.reason << "\n";
  }
}

void print_json(const fs::path& dir, const std::vector<Row>& rows) {
  boost::json::array plugins;
  for (const Row& row : rows) {
    const LibraryReport& r = row.report;
    const bool ok = r.status == LoadStatus::kOk;
    boost::json::array kinds;
    boost::json::array driven;
    for (const std::string& kind :
         ok ? kind_names(r.descriptor->kinds) : std::vector<std::string>{}) {
      kinds.emplace_back(kind);
    }
    for (const std::string& kind : ok ? kind_names(r.descriptor->kinds & plugin_host::kDrivenKinds)
                                      : std::vector<std::string>{}) {
      driven.emplace_back(kind);
    }
    boost::json::object plugin{
        {"file", r.path.string()},
        {"status", plugin_host::load_status_name(r.status)},
        {"reason", r.reason},
        {"sha256", r.sha256},
        {"abi", abi_text(r)},
        {"name", ok ? r.descriptor->name : ""},
        {"version", ok ? r.descriptor->version : ""},
        {"build_info", ok && r.descriptor->build_info != nullptr ? r.descriptor->build_info : ""},
        {"kinds", std::move(kinds)},
        {"driven_kinds", std::move(driven)},
        {"config_name", row.config_name},
    };
    plugins.emplace_back(std::move(plugin));
  }
  std::cout << boost::json::serialize(
                   boost::json::object{{"dir", dir.string()}, {"plugins", std::move(plugins)}})
            << "\n";
}

}  // namespace

int plugins_list_command(const Args& args) {
  namespace po = boost::program_options;
  po::options_description options("keepd plugins list options");
  options.add_options()("help,h", "show this help")(
      "dir", po::value<std::string>(), "plugin directory to list (default: the config's)")(
      "config", po::value<std::string>(), "configuration file: its plugin dir and sha256 pins")(
      "json", "print JSON instead of a table");
  po::variables_map values;
  if (const auto exit = parse_options("plugins list", args, options, {}, values)) return *exit;
  if (values.count("dir") == 0 && values.count("config") == 0) {
    std::cerr << "keepd plugins list: give --dir or --config\n" << options;
    return 2;
  }

  fs::path dir;
  std::map<fs::path, Configured> named;
  if (values.count("config") != 0) {
    try {
      const config::Config config = config::load_file(values["config"].as<std::string>());
      dir = config.plugins.dir;
      for (const config::PluginSpec& spec : config.plugins.load) {
        const fs::path path = spec.path.is_absolute() ? spec.path : config.plugins.dir / spec.path;
        named[fs::absolute(path).lexically_normal()] = Configured{spec.name, spec.sha256};
      }
    } catch (const config::ConfigError& error) {
      std::cerr << error.what() << "\n";
      return 1;
    }
  }
  if (values.count("dir") != 0) dir = values["dir"].as<std::string>();

  std::vector<Row> rows;
  try {
    for (const fs::path& path : libraries(dir, named)) {
      const auto configured = named.find(path);
      const bool is_named = configured != named.end();
      rows.push_back(Row{plugin_host::open_library(path, is_named ? configured->second.sha256 : ""),
                         is_named ? configured->second.name : ""});
    }
  } catch (const fs::filesystem_error& error) {
    std::cerr << "keepd plugins list: " << error.what() << "\n";
    return 1;
  }

  if (values.count("json") != 0) {
    print_json(dir, rows);
  } else {
    print_table(rows);
  }
  const bool all_ok = std::all_of(rows.begin(), rows.end(), [](const Row& row) {
    return row.report.status == LoadStatus::kOk;
  });
  return all_ok ? 0 : 1;
}

}  // namespace keepdb::cli
