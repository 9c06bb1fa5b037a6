// redis-cli and redis-benchmark runners.
#include "tests/integration/harness/redis_tools.h"

#include <stdexcept>

#ifndef REDIS_CLI_PATH
#error "REDIS_CLI_PATH must be set by tests/integration/harness"
#endif
#ifndef REDIS_BENCHMARK_PATH
#error "REDIS_BENCHMARK_PATH must be set by tests/integration/harness"
#endif

namespace keepdb::integration {

namespace {

std::vector<std::string> tool_argv(const char* tool, std::uint16_t port) {
  return {tool, "-h", "127.0.0.1", "-p", std::to_string(port)};
}

}  // namespace

ProgramResult RedisCli::run(const std::vector<std::string>& args, CliOutput output,
                            const std::string& stdin_text) const {
  std::vector<std::string> argv = tool_argv(REDIS_CLI_PATH, port_);
  argv.push_back(output == CliOutput::kRaw ? "--raw" : "--no-raw");
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, stdin_text);
}

std::string RedisCli::raw(const std::vector<std::string>& command) const {
  ProgramResult result = run(command, CliOutput::kRaw);
  if (!result.status.exited_normally(0)) {
    throw std::runtime_error("redis-cli " + result.status.describe() + ": " + result.err);
  }
  if (!result.out.empty() && result.out.back() == '\n') result.out.pop_back();
  return result.out;
}

ProgramResult run_redis_benchmark(std::uint16_t port, const std::vector<std::string>& args) {
  std::vector<std::string> argv = tool_argv(REDIS_BENCHMARK_PATH, port);
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv);
}

}  // namespace keepdb::integration
