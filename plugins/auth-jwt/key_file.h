// Reading the files keys come from: one descriptor, checked (a regular file, a size bound,
// and for secrets no access by group or others) before its bytes are read into memory that
// is wiped when freed.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include <keepdb/secret_bytes.hpp>

namespace keepdb::auth_jwt {

struct KeyFile {
  kdb::sdk::SecretBytes bytes;
  mode_t mode = 0;  // st_mode of the file read
};

// Reads `path`, at most `max_bytes`. Throws std::invalid_argument "<option> <path>: why"
// when the file cannot be opened or read, is not a regular file or is too large.
KeyFile read_key_file(std::string_view option, const std::string& path, std::size_t max_bytes);

// Throws std::invalid_argument naming the mode unless group and others have no access
// (the rule for files holding secrets: chmod 600).
void require_private(std::string_view option, const std::string& path, mode_t mode);

}  // namespace keepdb::auth_jwt
