// Opening a plugin library once and checking it through its descriptor.
#include "kernel/plugin_host/file_trust.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "util/path_trust.h"

namespace keepdb::plugin_host {
namespace {

std::string symlink_problem(const std::filesystem::path& path) {
  std::error_code error;
  const std::filesystem::path target = std::filesystem::read_symlink(path, error);
  return path.string() + " is a symbolic link" +
         (error ? std::string() : " (to " + target.string() + ")") +
         "; name the library file itself, plugins are not loaded through links";
}

}  // namespace

LibraryFile::LibraryFile(Status status, std::string problem)
    : status_(status), problem_(std::move(problem)) {}

LibraryFile::LibraryFile(LibraryFile&& other) noexcept
    : status_(other.status_),
      problem_(std::move(other.problem_)),
      resolved_path_(std::move(other.resolved_path_)),
      fd_(std::exchange(other.fd_, -1)) {}

LibraryFile& LibraryFile::operator=(LibraryFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    status_ = other.status_;
    problem_ = std::move(other.problem_);
    resolved_path_ = std::move(other.resolved_path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

LibraryFile::~LibraryFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::filesystem::path LibraryFile::proc_path() const {
  return "/proc/self/fd/" + std::to_string(fd_);
}

LibraryFile LibraryFile::open(const std::filesystem::path& path) {
  const std::filesystem::path name = path.filename();
  if (name.empty() || name == "." || name == "..") {
    return {Status::kUnreadable, path.string() + " does not name a file"};
  }
  util::DirectoryChain chain = util::check_directory_chain(path.parent_path());
  switch (chain.status) {
    case util::DirectoryChain::Status::kTrusted:
      break;
    case util::DirectoryChain::Status::kUntrusted:
      return {Status::kUntrusted, std::move(chain.problem)};
    case util::DirectoryChain::Status::kUnreachable:
      return {Status::kUnreadable, std::move(chain.problem)};
  }
  LibraryFile file(Status::kOpen, {});
  file.resolved_path_ = chain.resolved / name;
  const std::string& shown = file.resolved_path_.string();
  // O_NONBLOCK: opening a FIFO planted in place of the library must not hang start-up.
  file.fd_ = ::open(file.resolved_path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (file.fd_ < 0) {
    if (errno == ELOOP) return {Status::kUntrusted, symlink_problem(file.resolved_path_)};
    return {Status::kUnreadable, shown + ": " + std::strerror(errno)};
  }
  struct stat info {};
  if (::fstat(file.fd_, &info) != 0) {
    return {Status::kUnreadable, shown + ": " + std::strerror(errno)};
  }
  if (!S_ISREG(info.st_mode)) return {Status::kUnreadable, shown + " is not a regular file"};
  std::string problem = util::owner_problem(file.resolved_path_, info.st_uid);
  if (problem.empty()) problem = util::shared_write_problem(file.resolved_path_, info.st_mode);
  if (!problem.empty()) return {Status::kUntrusted, std::move(problem)};
  return file;
}

}  // namespace keepdb::plugin_host
