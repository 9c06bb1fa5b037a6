// keepd config check: validate a configuration file without starting a node, refusing
// everything `keepd run` refuses before it starts serving: the file itself, the cluster
// secret file it names, every [[plugin]] (library, option schema, and the plugin's own
// create(), which reads its options' files) and the transport each listener names, each
// instance destroyed again at once, and the security posture (posture_check.h), whose table
// it prints (--json: as JSON).
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "kernel/cli/options.h"
#include "kernel/cli/posture_check.h"
#include "kernel/cli/subcommands.h"
#include "kernel/config/config.h"
#include "kernel/consensus/peer/cluster_secret.h"
#include "kernel/plugin_host/log_sink.h"
#include "kernel/plugin_host/plugin_set.h"

namespace keepdb::cli {
namespace {

// Plugin host lines worth a checker's attention (warnings and errors) go to stderr; the
// "created" lines of a successful check are left out of its output.
class WarningsToStderr final : public plugin_host::LogSink {
 public:
  void write(plugin_host::LogLevel level, std::string_view line) noexcept override {
    if (level >= plugin_host::LogLevel::kWarn) plugin_host::stderr_log_sink().write(level, line);
  }
};

// ", plugins tokens and hello created and destroyed"; empty without plugins.
std::string plugins_summary(const config::Plugins& plugins) {
  if (plugins.load.empty()) return {};
  std::string names;
  for (std::size_t i = 0; i < plugins.load.size(); ++i) {
    if (i > 0) names += i + 1 == plugins.load.size() ? " and " : ", ";
    names += plugins.load[i].name;
  }
  return (plugins.load.size() == 1 ? ", plugin " : ", plugins ") + names + " created and destroyed";
}

}  // namespace

int config_check_command(const Args& args) {
  namespace po = boost::program_options;
  po::options_description options("keepd config check options");
  options.add_options()("help,h", "show this help")("json", "print the posture as JSON")(
      "file", po::value<std::string>()->required(), "configuration file (TOML)");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map values;
  if (const auto exit = parse_options("config check", args, options, positional, values)) {
    return *exit;
  }
  const std::string file = values["file"].as<std::string>();
  try {
    const config::Config config = config::load_file(file);
    if (!config.cluster.secret_file.empty()) {
      consensus::ClusterSecret::load(config.cluster.secret_file);
    }
    {
      WarningsToStderr log;
      const plugin_host::PluginSet plugins = plugin_host::PluginSet::load(config.plugins, log);
      plugins.client_transport(config);
    }
    const node::PostureReport posture = node::check_posture(config);
    for (const std::string& refusal : posture.refusals) {
      std::cerr << file << ": refused: " << refusal << "\n";
    }
    if (values.count("json") != 0) {
      boost::json::object out = posture_json(config, posture);
      out.emplace("file", file);
      std::cout << boost::json::serialize(out) << "\n";
    } else {
      if (posture.refusals.empty()) {
        std::cout << file << ": ok (node " << config.node_id << ", clients on "
                  << config.client.host << ":" << config.client.port << ", data in "
                  << config.storage.data_dir.string() << plugins_summary(config.plugins) << ")\n";
      }
      std::cout << posture_table(config, posture);
    }
    return posture.refusals.empty() ? 0 : 1;
  } catch (const std::runtime_error& e) {  // ConfigError, the secret file's or a plugin's
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace keepdb::cli
