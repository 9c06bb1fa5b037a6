// Data directory creation and permission checks.
#include "storage/data_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace keepdb::storage {
namespace {

void check_existing(const std::filesystem::path& dir) {
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) {
    throw DataDirError("data dir " + dir.string() + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(info.st_mode)) {
    throw DataDirError("data dir " + dir.string() + " exists and is not a directory");
  }
  if (info.st_uid != ::geteuid()) {
    throw DataDirError("data dir " + dir.string() + " is owned by uid " +
                       std::to_string(info.st_uid) + ", not by the user running keepd (uid " +
                       std::to_string(::geteuid()) + ")");
  }
  if ((info.st_mode & 077) != 0) {
    std::ostringstream message;
    message << "data dir " << dir.string() << " has mode " << std::oct << (info.st_mode & 0777)
            << "; it must not be accessible by group or others (run: chmod 700 " << dir.string()
            << ")";
    throw DataDirError(message.str());
  }
}

void create_private(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw DataDirError("cannot create data dir " + dir.string() + ": " + std::strerror(errno));
  }
}

}  // namespace

void prepare_data_dir(const std::filesystem::path& dir) {
  if (dir.empty()) throw DataDirError("data dir is not set");
  try {
    const std::filesystem::path absolute = std::filesystem::absolute(dir).lexically_normal();
    std::filesystem::path partial;
    for (const auto& part : absolute) {
      partial /= part;
      if (!std::filesystem::exists(partial)) create_private(partial);
    }
    check_existing(absolute);
  } catch (const std::filesystem::filesystem_error& e) {
    throw DataDirError("data dir " + dir.string() + ": " + e.code().message());
  }
}

void prepare_private_subdir(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir)) create_private(dir);
  check_existing(dir);
}

}  // namespace keepdb::storage
