// The node's data directory: created with mode 0700; an existing directory that group or
// others can access, that another user owns, or that is a symbolic link is refused with a
// message saying how to fix it; so is one below a directory that breaks the trusted-path
// rule (util/path_trust.h: every directory up to "/" owned by root or the keepd user and
// not writable by group or others, root-owned sticky ones like /tmp excepted).
//
// Thread-safety: stateless; call from one thread at start-up.
#pragma once

#include <filesystem>
#include <stdexcept>

namespace keepdb::storage {

class DataDirError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Creates `dir` (and missing parents, each 0700) or checks an existing one, and checks
// every directory above it. Throws DataDirError.
void prepare_data_dir(const std::filesystem::path& dir);

// Creates or checks a subdirectory the node keeps inside its data dir (`kv`, `raft`, ...):
// private, owned by the keepd user, not a symbolic link. Throws DataDirError.
void prepare_private_subdir(const std::filesystem::path& dir);

}  // namespace keepdb::storage
