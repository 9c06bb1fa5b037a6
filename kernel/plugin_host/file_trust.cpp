// Ownership and permission checks on plugin libraries and their directory.
#include "kernel/plugin_host/file_trust.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace keepdb::plugin_host {
namespace {

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string path_problem(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return path.string() + ": " + std::strerror(errno);
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return path.string() + " is writable by group or others (mode " + octal_mode(info.st_mode) +
           ")";
  }
  if (info.st_uid != 0 && info.st_uid != ::geteuid()) {
    return path.string() + " is owned by uid " + std::to_string(info.st_uid) +
           ", neither root nor the user running keepd";
  }
  return {};
}

}  // namespace

std::string untrusted_reason(const std::filesystem::path& library) {
  std::error_code error;
  const std::filesystem::path real = std::filesystem::canonical(library, error);
  if (error) return library.string() + ": " + error.message();
  if (std::string problem = path_problem(real.parent_path()); !problem.empty()) return problem;
  return path_problem(real);
}

}  // namespace keepdb::plugin_host
