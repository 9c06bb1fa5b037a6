// A child process (fork/exec), its standard streams redirected to files, killed if the test
// process dies first (PR_SET_PDEATHSIG); and
// `run_program`, which runs one to completion and captures what it printed.
//
// Thread-safety: none; a ChildProcess belongs to one test thread. Lifetime: the destructor
// kills (SIGKILL) and reaps a child that is still running, so no test leaks processes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/harness/deadline.h"

namespace keepdb::integration {

// How a child ended: exit code, or the signal that killed it.
struct ExitStatus {
  int code = -1;   // valid when signal == 0
  int signal = 0;  // non-zero: killed by this signal
  bool exited_normally(int expected_code) const { return signal == 0 && code == expected_code; }
  std::string describe() const;  // "exit 0", "signal 9"
};

struct Redirects {
  std::filesystem::path stdin_path = "/dev/null";
  std::filesystem::path stdout_path = "/dev/null";
  std::filesystem::path stderr_path = "/dev/null";
};

class ChildProcess {
 public:
  // Starts argv[0] (a path, not searched in PATH); throws std::runtime_error on failure.
  ChildProcess(const std::vector<std::string>& argv, const Redirects& redirects);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();  // false once it has ended (and been reaped)
  void send_signal(int signal);
  // Waits for the child to end; nullopt if it is still running at the deadline.
  std::optional<ExitStatus> wait(milliseconds timeout);
  // SIGKILL and reap. Idempotent.
  ExitStatus kill_now();

 private:
  bool reap(int options);

  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

struct ProgramResult {
  ExitStatus status;
  std::string out;  // everything written to stdout
  std::string err;  // everything written to stderr
};

// Runs a program to completion with `stdin_text` on its standard input; a program still
// running after `timeout` is killed and reported as killed by SIGKILL.
ProgramResult run_program(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                          milliseconds timeout = 60s);

}  // namespace keepdb::integration
