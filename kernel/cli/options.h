// Shared option parsing for keepd subcommands (Boost.Program_options): prints help on
// --help and a clear message plus exit code 2 on any usage error.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>

#include "kernel/cli/subcommands.h"

namespace keepdb::cli {

// Parses `args` for subcommand `name`. Returns an exit code when the caller should stop
// (0 after printing --help, 2 on a usage error), or nullopt to continue with `values`.
std::optional<int> parse_options(const std::string& name, const Args& args,
                                 const boost::program_options::options_description& options,
                                 const boost::program_options::positional_options_description& positional,
                                 boost::program_options::variables_map& values);

}  // namespace keepdb::cli
