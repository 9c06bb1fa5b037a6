// The trusted-path rule keepd applies to what it must not let other users change: its data
// directory and the plugin libraries it loads. Shared by storage/data_dir and
// kernel/plugin_host/file_trust, so both follow one rule.
//
// The rule, for every directory the kernel traverses to reach a path (from "/" down):
//   - it is owned by root or by the user running keepd (the effective uid);
//   - it is not writable by group or others, except a sticky directory owned by root
//     (like /tmp): there, only an entry's owner can remove or rename it, and the next
//     component must itself pass the owner check;
//   - a symbolic link met on the way is followed (so `/lib -> usr/lib` works), but only
//     if the link is owned by root or the keepd user (in a sticky directory another
//     user could otherwise replace it); the directories of its target are checked too.
// A path whose every directory passes cannot be changed by anyone but root and the keepd
// user, so what is checked now is still what a later open() reaches.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace keepdb::util {

// Root or the effective user running this process.
bool is_trusted_owner(uid_t owner);

// Empty when `owner` is trusted; else "<path> is owned by uid 1000, neither root nor the
// user running keepd (uid 0)".
std::string owner_problem(const std::filesystem::path& path, uid_t owner);

// Empty when `mode` lets neither group nor others write; else "<path> is writable by group
// or others (mode 0777)".
std::string shared_write_problem(const std::filesystem::path& path, mode_t mode);

struct DirectoryChain {
  enum class Status {
    kTrusted,      // every directory passes; `resolved` is set
    kUntrusted,    // a directory or link breaks the rule; `problem` names it
    kUnreachable,  // a component is missing, unreadable, not a directory, or links loop
  };
  Status status = Status::kUnreachable;
  // `dir` made absolute with every symbolic link followed, "." and ".." applied.
  std::filesystem::path resolved;
  // Empty when trusted; else one line naming the path at fault and why, e.g.
  // "/opt/keepdb is writable by group or others (mode 0777)".
  std::string problem;
};

// Checks every directory from "/" down to `dir` itself (relative paths start at the working
// directory). Never throws for a bad path: the result says what is wrong.
DirectoryChain check_directory_chain(const std::filesystem::path& dir);

}  // namespace keepdb::util
