// keepd run: load the configuration and run a node until SIGTERM/SIGINT.
#include <boost/program_options.hpp>
#include <iostream>

#include "kernel/cli/options.h"
#include "kernel/cli/subcommands.h"
#include "kernel/config/config.h"
#include "kernel/log/log.h"
#include "kernel/node/node.h"

namespace keepdb::cli {

int run_command(const Args& args) {
  namespace po = boost::program_options;
  po::options_description options("keepd run options");
  options.add_options()("help,h", "show this help")(
      "config,c", po::value<std::string>()->required(), "configuration file (TOML)")(
      "log-level", po::value<std::string>()->default_value("info"), "debug, info, warn or error");
  po::variables_map values;
  if (const auto exit = parse_options("run", args, options, {}, values)) return *exit;

  const std::string level = values["log-level"].as<std::string>();
  if (level == "debug") {
    log::set_min_level(log::Level::kDebug);
  } else if (level == "warn") {
    log::set_min_level(log::Level::kWarn);
  } else if (level == "error") {
    log::set_min_level(log::Level::kError);
  } else if (level != "info") {
    std::cerr << "keepd run: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  try {
    const config::Config config = config::load_file(values["config"].as<std::string>());
    return node::run(config);
  } catch (const config::ConfigError& e) {
    log::error("configuration error: ", e.what());
    return 1;
  }
}

}  // namespace keepdb::cli
