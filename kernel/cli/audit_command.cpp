// keepd audit ...: runs keepdb-audit, the audit plugin's tool (verify the hash chain, tail
// records as a table), with the same arguments. The kernel never links plugin code, so the
// tool is a binary of its own; keepd finds it beside itself (an installation puts both in
// one bin directory), else where this repository's build puts it relative to keepd
// (build/kernel/cli/keepd, build/plugins/audit/keepdb-audit), else on PATH, and replaces
// itself with it: the exit code and every line printed are the tool's.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <system_error>
#include <vector>

#include "kernel/cli/subcommands.h"

namespace keepdb::cli {
namespace {

constexpr const char* kTool = "keepdb-audit";

// The tool beside keepd, or in the build tree when keepd runs from one; empty when neither
// is an executable file.
std::filesystem::path tool_near_keepd() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const std::filesystem::path dir = self.parent_path();
  std::vector<std::filesystem::path> candidates = {dir / kTool};
  if (dir.filename() == "cli" && dir.parent_path().filename() == "kernel") {
    candidates.push_back(dir.parent_path().parent_path() / "plugins" / "audit" / kTool);
  }
  for (const std::filesystem::path& candidate : candidates) {
    if (std::filesystem::is_regular_file(candidate, error) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

}  // namespace

int audit_command(const Args& args) {
  const std::filesystem::path near = tool_near_keepd();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(kTool));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  if (!near.empty()) {
    ::execv(near.c_str(), argv.data());
  } else {
    ::execvp(kTool, argv.data());
  }
  std::cerr << "keepd audit: cannot run " << kTool
            << ", the audit plugin's tool: it is neither beside keepd nor on PATH (in a "
               "build tree, 'cmake --build build --target keepdb-audit' makes it as "
               "build/plugins/audit/keepdb-audit; an installation puts it beside keepd)\n";
  return 2;
}

}  // namespace keepdb::cli
