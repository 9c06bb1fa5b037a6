// Child processes: posix_spawn with file redirects, polled waits, forced kills.
#include "tests/integration/harness/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tests/integration/harness/temp_dir.h"

extern char** environ;

namespace keepdb::integration {

std::string ExitStatus::describe() const {
  return signal != 0 ? "signal " + std::to_string(signal) : "exit " + std::to_string(code);
}

namespace {

void check_spawn(int rc, const char* what) {
  if (rc != 0)
    throw std::runtime_error(std::string("posix_spawn: ") + what + ": " + std::strerror(rc));
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const Redirects& redirects) {
  posix_spawn_file_actions_t actions;
  check_spawn(posix_spawn_file_actions_init(&actions), "file actions");
  check_spawn(posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, redirects.stdin_path.c_str(),
                                               O_RDONLY, 0),
              "stdin");
  check_spawn(
      posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, redirects.stdout_path.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0600),
      "stdout");
  check_spawn(
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, redirects.stderr_path.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0600),
      "stderr");
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  check_spawn(rc, argv.front().c_str());
}

ChildProcess::~ChildProcess() {
  if (!status_) kill_now();
}

bool ChildProcess::reap(int options) {
  if (status_) return true;
  int raw = 0;
  pid_t done = 0;
  do {
    done = ::waitpid(pid_, &raw, options);
  } while (done < 0 && errno == EINTR);
  if (done != pid_) return false;
  ExitStatus status;
  if (WIFSIGNALED(raw)) {
    status.signal = WTERMSIG(raw);
  } else {
    status.code = WEXITSTATUS(raw);
  }
  status_ = status;
  return true;
}

bool ChildProcess::running() {
  return !reap(WNOHANG);
}

void ChildProcess::send_signal(int signal) {
  if (!status_) ::kill(pid_, signal);
}

std::optional<ExitStatus> ChildProcess::wait(milliseconds timeout) {
  poll_until([&] { return reap(WNOHANG); }, timeout, 5ms);
  return status_;
}

ExitStatus ChildProcess::kill_now() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    reap(0);
  }
  return *status_;
}

ProgramResult run_program(const std::vector<std::string>& argv, const std::string& stdin_text,
                          milliseconds timeout) {
  TempDir scratch("run");
  Redirects redirects{scratch / "stdin", scratch / "stdout", scratch / "stderr"};
  write_file(redirects.stdin_path, stdin_text);
  ChildProcess child(argv, redirects);
  ProgramResult result;
  const auto status = child.wait(timeout);
  result.status = status ? *status : child.kill_now();
  result.out = read_file(redirects.stdout_path);
  result.err = read_file(redirects.stderr_path);
  return result;
}

}  // namespace keepdb::integration
