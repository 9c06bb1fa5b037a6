// keepd config check: validate a configuration file without starting a node, and the
// cluster secret file it names (as `keepd run` would read it).
#include <boost/program_options.hpp>
#include <iostream>

#include "kernel/cli/options.h"
#include "kernel/cli/subcommands.h"
#include "kernel/config/config.h"
#include "kernel/consensus/cluster_secret.h"

namespace keepdb::cli {

int config_check_command(const Args& args) {
  namespace po = boost::program_options;
  po::options_description options("keepd config check options");
  options.add_options()("help,h", "show this help")(
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
    std::cout << file << ": ok (node " << config.node_id << ", clients on " << config.client.host
              << ":" << config.client.port << ", data in " << config.storage.data_dir.string()
              << ")\n";
    return 0;
  } catch (const std::runtime_error& e) {  // ConfigError, or the secret file's problem
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace keepdb::cli
