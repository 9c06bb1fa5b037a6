// keepd run: load the configuration, make the process non-dumpable when it will hold
// secrets, refuse the posture the configuration's [security] level does not allow (with a
// banner for each accepted risk), and run a node until SIGTERM/SIGINT.
#include <sys/prctl.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "kernel/cli/options.h"
#include "kernel/cli/posture_check.h"
#include "kernel/cli/subcommands.h"
#include "kernel/config/config.h"
#include "kernel/log/log.h"
#include "kernel/node/node.h"

namespace keepdb::cli {
namespace {

// What secrets `config` makes this process hold: "" when none.
std::string secrets_held(const config::Config& config) {
  std::string held;
  if (!config.plugins.load.empty()) held = "plugins are loaded";
  if (!config.cluster.secret_file.empty()) {
    held += (held.empty() ? "" : " and ") + std::string("a cluster secret is set");
  }
  return held;
}

// Before any secret is read: no core dump, and no ptrace or /proc/PID/mem, environ, ...
// access by other processes of the same user (the kernel also shows this process's /proc
// files as root's). False, after logging why, if the kernel refuses.
bool keep_secrets_out_of_dumps(const config::Config& config) {
  const std::string held = secrets_held(config);
  if (held.empty()) return true;
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    log::error("cannot make the process non-dumpable (prctl PR_SET_DUMPABLE): ",
               std::strerror(errno));
    return false;
  }
  log::info("process is not dumpable (no core dumps, no ptrace by the same user): ", held);
  return true;
}

// False, after logging every refusal, when the posture forbids starting; else logs a
// banner per accepted risk (node.cpp also records each in the audit log).
bool posture_allows_start(const config::Config& config) {
  const node::PostureReport posture = node::check_posture(config);
  for (const std::string& refusal : posture.refusals) log::error("refused: ", refusal);
  if (!posture.refusals.empty()) {
    log::error("not starting: `keepd config check ", config.source.string(),
               "` shows the posture table");
    return false;
  }
  for (const std::string& risk : config.security.accept_risks) {
    log::warn("*** ", config::accepted_risk_banner(risk, posture.controls), " ***");
  }
  return true;
}

}  // namespace

int run_command(const Args& args) {
  namespace po = boost::program_options;
  po::options_description options("keepd run options");
  options.add_options()("help,h", "show this help")(
      "config,c", po::value<std::string>()->required(), "configuration file (TOML)")(
      "log-level", po::value<std::string>(),
      "debug, info, warn or error (default: $KEEPDB_LOG_LEVEL, else info)");
  po::variables_map values;
  if (const auto exit = parse_options("run", args, options, {}, values)) return *exit;

  const char* from_env = std::getenv("KEEPDB_LOG_LEVEL");
  const std::string level = values.count("log-level") != 0 ? values["log-level"].as<std::string>()
                            : from_env != nullptr      ? std::string(from_env)
                                                       : std::string("info");
  if (level == "debug") {
    log::set_min_level(log::Level::kDebug);
  } else if (level == "warn") {
    log::set_min_level(log::Level::kWarn);
  } else if (level == "error") {
    log::set_min_level(log::Level::kError);
  } else if (level != "info") {
    std::cerr << "keepd run: --log-level (or KEEPDB_LOG_LEVEL) must be debug, info, warn or "
                 "error\n";
    return 2;
  }
  try {
    const config::Config config = config::load_file(values["config"].as<std::string>());
    if (!keep_secrets_out_of_dumps(config)) return 1;
    if (!posture_allows_start(config)) return 1;
    return node::run(config);
  } catch (const config::ConfigError& e) {
    log::error("configuration error: ", e.what());
    return 1;
  } catch (const std::runtime_error& e) {  // a plugin library the posture check cannot open
    log::error("cannot run: ", e.what());
    return 1;
  }
}

}  // namespace keepdb::cli
