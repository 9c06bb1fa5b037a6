// Data directory creation and permission checks.
#include "storage/data_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <system_error>

#include "util/path_trust.h"

namespace keepdb::storage {
namespace {

namespace fs = std::filesystem;

// The directory itself, never through a link: a link could be repointed later.
void check_existing(const fs::path& dir) {
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0) {
    throw DataDirError("data dir " + dir.string() + ": " + std::strerror(errno));
  }
  if (S_ISLNK(info.st_mode)) {
    std::error_code error;
    const fs::path target = fs::read_symlink(dir, error);
    throw DataDirError("data dir " + dir.string() + " is a symbolic link" +
                       (error ? std::string() : " (to " + target.string() + ")") +
                       "; name the directory itself");
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

// Every directory above the data dir `dir`, from "/" down to `above`.
void check_ancestors(const fs::path& dir, const fs::path& above) {
  const util::DirectoryChain chain = util::check_directory_chain(above);
  if (chain.status != util::DirectoryChain::Status::kTrusted) {
    throw DataDirError("data dir " + dir.string() + ": " + chain.problem);
  }
}

void create_private(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw DataDirError("cannot create data dir " + dir.string() + ": " + std::strerror(errno));
  }
}

}  // namespace

void prepare_data_dir(const fs::path& dir) {
  if (dir.empty()) throw DataDirError("data dir is not set");
  try {
    fs::path absolute = fs::absolute(dir).lexically_normal();
    // A trailing slash ("data/") names the same dir; dropped, as lstat would follow a link.
    if (absolute.has_relative_path() && absolute.filename().empty()) {
      absolute = absolute.parent_path();
    }
    fs::path partial;
    bool ancestors_checked = false;
    for (const auto& part : absolute) {
      partial /= part;
      if (fs::exists(partial)) continue;
      // Nothing is created below a directory another user could change.
      if (!ancestors_checked) check_ancestors(absolute, partial.parent_path());
      ancestors_checked = true;
      create_private(partial);
    }
    check_ancestors(absolute, absolute.parent_path());
    check_existing(absolute);
  } catch (const fs::filesystem_error& e) {
    throw DataDirError("data dir " + dir.string() + ": " + e.code().message());
  }
}

void prepare_private_subdir(const fs::path& dir) {
  create_private(dir);
  check_existing(dir);
}

}  // namespace keepdb::storage
