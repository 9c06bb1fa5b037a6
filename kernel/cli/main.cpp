// keepd: the single KeepDB binary. Global options (--help, --version) come before the
// subcommand; everything after the subcommand belongs to it.
#include <cstring>
#include <iostream>
#include <string>

#include "kernel/cli/subcommands.h"
#include "util/version.h"

namespace {

constexpr const char* kUsage =
    "usage: keepd [--help] [--version] <command> [<args>]\n"
    "\n"
    "commands:\n"
    "  run --config FILE                      run a node\n"
    "  config check FILE [--json]             validate a configuration file and its posture\n"
    "  plugins list [--dir D] [--config F] [--json]\n"
    "                                         list provider plugins and their load status\n"
    "  plugins test FILE [--option K=V] [--auth ..] [--admit ..] [--record ..]\n"
    "               [--transport ..] [--checks]   load, create and drive one plugin, no server\n"
    "  token hash                             print the SHA-256 hash of a token read from stdin\n"
    "  token new                              print a fresh random token and its hash\n"
    "  audit verify [--key-file F] FILE...    check an audit log's hash chain (oldest first)\n"
    "  audit tail [--follow] [--principal P] [--kind K] [-n N] FILE\n"
    "                                         print audit records as a table\n"
    "\n"
    "Run 'keepd <command> --help' for a command's options.\n";

constexpr const char* kConfigUsage =
    "usage: keepd config <subcommand> [<args>]\n"
    "\n"
    "subcommands:\n"
    "  check FILE    validate a configuration file: the file, its cluster secret file and\n"
    "                every plugin it names (loaded, options checked, created, destroyed)\n"
    "\n"
    "Run 'keepd config check --help' for its options.\n";

constexpr const char* kPluginsUsage =
    "usage: keepd plugins <subcommand> [<args>]\n"
    "\n"
    "subcommands:\n"
    "  list [--dir D] [--config F] [--json]\n"
    "                list provider plugins and their load status\n"
    "  test FILE [--option K=V] [--auth [USER:]SECRET] [--admit EVENT] [--record KIND]\n"
    "            [--transport STEP] [--checks]\n"
    "                load, create and drive one plugin of any kind without a server, and\n"
    "                run the misbehaviour checks\n"
    "\n"
    "Run 'keepd plugins list --help' or 'keepd plugins test --help' for their options.\n";

bool is_help(const std::string& arg) {
  return arg == "--help" || arg == "-h";
}

int usage_error(const std::string& message) {
  std::cerr << "keepd: " << message << "\n\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace keepdb::cli;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    const std::string option = argv[i];
    if (is_help(option)) {
      std::cout << kUsage;
      return 0;
    }
    if (option == "--version" || option == "-V") {
      std::cout << "keepd " << keepdb::kVersion << " (RESP compatible with Redis "
                << keepdb::kRedisCompatVersion << ")\n";
      return 0;
    }
    return usage_error("unknown option '" + option + "'");
  }
  if (i == argc) return usage_error("missing command");
  const std::string command = argv[i++];
  Args rest(argv + i, argv + argc);
  if (command == "run") return run_command(rest);
  if (command == "audit") return audit_command(rest);
  if (command == "config" || command == "plugins" || command == "token") {
    if (rest.empty()) return usage_error("'" + command + "' needs a subcommand");
    const std::string sub = rest.front();
    if (command == "config" && is_help(sub)) {
      std::cout << kConfigUsage;
      return 0;
    }
    if (command == "plugins" && is_help(sub)) {
      std::cout << kPluginsUsage;
      return 0;
    }
    Args sub_args(rest.begin() + 1, rest.end());
    if (command == "config" && sub == "check") return config_check_command(sub_args);
    if (command == "plugins" && sub == "list") return plugins_list_command(sub_args);
    if (command == "plugins" && sub == "test") return plugins_test_command(sub_args);
    if (command == "token") return token_command(rest);
    return usage_error("unknown command '" + command + " " + sub + "'");
  }
  return usage_error("unknown command '" + command + "'");
}
