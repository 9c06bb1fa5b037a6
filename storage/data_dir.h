// The node's data directory: created with mode 0700; an existing directory that group or
// others can access, or that another user owns, is refused with a message saying how to fix it.
#pragma once

#include <filesystem>
#include <stdexcept>

namespace keepdb::storage {

class DataDirError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Creates `dir` (and missing parents, each 0700) or checks an existing one. Throws DataDirError.
void prepare_data_dir(const std::filesystem::path& dir);

// Same checks for a subdirectory the node creates inside its data dir.
void prepare_private_subdir(const std::filesystem::path& dir);

}  // namespace keepdb::storage
