// The integration tests' scratch space: each test's TempDir (tests/support/temp_dir.h) and
// whole-file reads and writes in it.
//
// Thread-safety: the functions are safe from any thread on different files.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace keepdb::integration {

using test::TempDir;

// Writes `text` to `path`, replacing it; throws std::runtime_error on failure.
void write_file(const std::filesystem::path& path, const std::string& text);
// The whole file, or "" if it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace keepdb::integration
