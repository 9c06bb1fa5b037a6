// The keepd subcommands. Each one parses its own arguments (everything after its name),
// prints to stdout/stderr and returns the process exit code: 0 success, 1 failure,
// 2 usage error.
#pragma once

#include <string>
#include <vector>

namespace keepdb::cli {

using Args = std::vector<std::string>;

int run_command(const Args& args);           // keepd run --config FILE
int config_check_command(const Args& args);  // keepd config check FILE
int plugins_list_command(const Args& args);  // keepd plugins list [--dir D] [--config F] [--json]
int plugins_test_command(const Args& args);  // keepd plugins test FILE [--option k=v] [--auth ..]
int token_command(const Args& args);         // keepd token hash | keepd token new
int audit_command(const Args& args);         // keepd audit verify|tail|hash-key ...: keepdb-audit

}  // namespace keepdb::cli
