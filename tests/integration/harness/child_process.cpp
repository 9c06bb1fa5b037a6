// Child processes: fork/exec with file redirects and death with the parent, polled waits,
// forced kills.
#include "tests/integration/harness/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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

// In the forked child, before exec: only async-signal-safe calls. Returns errno on failure.
int redirect(int fd, const char* path, int flags) {
  const int opened = ::open(path, flags | O_CLOEXEC, 0600);
  if (opened < 0 || ::dup2(opened, fd) < 0) return errno;
  ::close(opened);
  return 0;
}

[[noreturn]] void exec_child(char* const* args, const Redirects& redirects, pid_t parent,
                             int error_pipe) {
  // Die with the test: a test binary that crashes must not leave servers running.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  int error = ::getppid() != parent ? ECHILD : 0;
  if (error == 0) error = redirect(STDIN_FILENO, redirects.stdin_path.c_str(), O_RDONLY);
  if (error == 0) {
    error = redirect(STDOUT_FILENO, redirects.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC);
  }
  if (error == 0) {
    error = redirect(STDERR_FILENO, redirects.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC);
  }
  if (error == 0) {
    ::execve(args[0], args, environ);
    error = errno;
  }
  [[maybe_unused]] const ssize_t written = ::write(error_pipe, &error, sizeof error);
  ::_exit(127);
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const Redirects& redirects) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // The child reports a failure to start through this pipe; exec closes it (CLOEXEC).
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) exec_child(args.data(), redirects, parent, error_pipe[1]);
  ::close(error_pipe[1]);
  if (pid_ < 0) {
    ::close(error_pipe[0]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  int error = 0;
  ssize_t got = 0;
  do {
    got = ::read(error_pipe[0], &error, sizeof error);
  } while (got < 0 && errno == EINTR);
  ::close(error_pipe[0]);
  if (got == sizeof error) {
    reap(0);
    throw std::runtime_error("cannot start " + argv.front() + ": " + std::strerror(error));
  }
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
