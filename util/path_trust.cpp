// The directory-chain walk behind the trusted-path rule.
#include "util/path_trust.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <system_error>

namespace keepdb::util {
namespace {

namespace fs = std::filesystem;

// Linux's own limit on links followed in one lookup (MAXSYMLINKS).
constexpr int kMaxLinksFollowed = 40;

DirectoryChain unreachable(std::string problem) {
  return {DirectoryChain::Status::kUnreachable, {}, std::move(problem)};
}

DirectoryChain untrusted(std::string problem) {
  return {DirectoryChain::Status::kUntrusted, {}, std::move(problem)};
}

// Empty when the directory `dir`, described by `info`, passes the rule.
std::string directory_problem(const fs::path& dir, const struct stat& info) {
  if (std::string problem = owner_problem(dir, info.st_uid); !problem.empty()) return problem;
  const bool root_sticky = (info.st_mode & S_ISVTX) != 0 && info.st_uid == 0;
  return root_sticky ? std::string() : shared_write_problem(dir, info.st_mode);
}

}  // namespace

bool is_trusted_owner(uid_t owner) {
  return owner == 0 || owner == ::geteuid();
}

std::string owner_problem(const fs::path& path, uid_t owner) {
  if (is_trusted_owner(owner)) return {};
  return path.string() + " is owned by uid " + std::to_string(owner) +
         ", neither root nor the user running keepd (uid " + std::to_string(::geteuid()) + ")";
}

std::string shared_write_problem(const fs::path& path, mode_t mode) {
  if ((mode & (S_IWGRP | S_IWOTH)) == 0) return {};
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode & 07777));
  return path.string() + " is writable by group or others (mode " + octal + ")";
}

DirectoryChain check_directory_chain(const fs::path& dir) {
  std::error_code error;
  // An empty path is the working directory, as for a bare file name given to open().
  const fs::path absolute = fs::absolute(dir.empty() ? fs::path(".") : dir, error);
  if (error) return unreachable(dir.string() + ": " + error.message());

  // Components still to walk; a followed link puts its target's components in front.
  const fs::path relative = absolute.relative_path();
  std::deque<fs::path> pending(relative.begin(), relative.end());
  fs::path resolved = "/";
  struct stat info {};
  if (::lstat("/", &info) != 0) return unreachable(std::string("/: ") + std::strerror(errno));
  if (std::string problem = directory_problem(resolved, info); !problem.empty()) {
    return untrusted(std::move(problem));
  }
  int links_followed = 0;
  while (!pending.empty()) {
    const fs::path part = std::move(pending.front());
    pending.pop_front();
    if (part.empty() || part == ".") continue;  // an empty part: a trailing slash
    if (part == "..") {
      resolved = resolved.parent_path();  // `resolved` holds no link, so this is exact
      continue;
    }
    const fs::path next = resolved / part;
    if (::lstat(next.c_str(), &info) != 0) {
      return unreachable(next.string() + ": " + std::strerror(errno));
    }
    if (S_ISLNK(info.st_mode)) {
      if (std::string problem = owner_problem(next, info.st_uid); !problem.empty()) {
        return untrusted("symbolic link " + std::move(problem));
      }
      if (++links_followed > kMaxLinksFollowed) {
        return unreachable(next.string() + ": too many levels of symbolic links");
      }
      const fs::path target = fs::read_symlink(next, error);
      if (error) return unreachable(next.string() + ": " + error.message());
      const fs::path target_relative = target.relative_path();
      pending.insert(pending.begin(), target_relative.begin(), target_relative.end());
      if (target.is_absolute()) resolved = "/";  // "/" itself was checked first
      continue;
    }
    if (!S_ISDIR(info.st_mode)) return unreachable(next.string() + " is not a directory");
    if (std::string problem = directory_problem(next, info); !problem.empty()) {
      return untrusted(std::move(problem));
    }
    resolved = next;
  }
  return {DirectoryChain::Status::kTrusted, std::move(resolved), {}};
}

}  // namespace keepdb::util
