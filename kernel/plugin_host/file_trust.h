// A plugin library opened once, for checking, hashing and loading. The trusted-path rule
// (util/path_trust.h) is checked on every directory above the file; the file itself is
// opened with O_NOFOLLOW (a symbolic link as the last component is refused) and checked
// through that descriptor: a regular file, owned by root or the user running keepd, not
// writable by group or others. The same descriptor is then hashed and loaded through
// /proc/self/fd/N, so the bytes checked are the bytes loaded even if the path is renamed
// over in between. Anyone who can replace a plugin can run code inside keepd.
//
// Thread-safety: a LibraryFile is a move-only handle; use it from one thread at a time.
// Ownership: it owns its descriptor and closes it when destroyed.
#pragma once

#include <filesystem>
#include <string>

namespace keepdb::plugin_host {

class LibraryFile {
 public:
  enum class Status {
    kOpen,        // every check passed; descriptor() is the open file
    kUntrusted,   // the file, a directory above it, or a link breaks the trust rule
    kUnreadable,  // missing, not a regular file, or cannot be opened
  };

  // Never throws for a bad path: status() and problem() say what is wrong.
  static LibraryFile open(const std::filesystem::path& path);

  LibraryFile(LibraryFile&& other) noexcept;
  LibraryFile& operator=(LibraryFile&& other) noexcept;
  LibraryFile(const LibraryFile&) = delete;
  LibraryFile& operator=(const LibraryFile&) = delete;
  ~LibraryFile();

  Status status() const { return status_; }
  // Empty when open; else one line naming the path at fault and why, e.g.
  //   "/opt/keepdb/plugins is writable by group or others (mode 0777)".
  const std::string& problem() const { return problem_; }
  // The file's path with the links in its directories followed (set when open).
  const std::filesystem::path& resolved_path() const { return resolved_path_; }
  // The open descriptor (O_RDONLY | O_CLOEXEC), or -1.
  int descriptor() const { return fd_; }
  // "/proc/self/fd/N": the name under which dlopen loads exactly this open file.
  std::filesystem::path proc_path() const;

 private:
  LibraryFile(Status status, std::string problem);

  Status status_;
  std::string problem_;
  std::filesystem::path resolved_path_;
  int fd_ = -1;
};

}  // namespace keepdb::plugin_host
