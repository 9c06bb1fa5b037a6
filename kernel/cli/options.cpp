// Option parsing shared by the keepd subcommands.
#include "kernel/cli/options.h"

#include <iostream>

namespace keepdb::cli {

namespace po = boost::program_options;

std::optional<int> parse_options(const std::string& name, const Args& args,
                                 const po::options_description& options,
                                 const po::positional_options_description& positional,
                                 po::variables_map& values) {
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), values);
    if (values.count("help") != 0) {
      std::cout << "usage: keepd " << name << " [options]\n" << options;
      return 0;
    }
    po::notify(values);
  } catch (const po::error& e) {
    std::cerr << "keepd " << name << ": " << e.what() << "\n" << options;
    return 2;
  }
  return std::nullopt;
}

}  // namespace keepdb::cli
