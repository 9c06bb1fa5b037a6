// The integration tests' scratch space: each test's TempDir (tests/support/temp_dir.h) and
// whole-file reads and writes in it (tests/support/files.h), under the names the
// integration tests use.
#pragma once

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace keepdb::integration {

using test::read_file;
using test::TempDir;
using test::write_file;

}  // namespace keepdb::integration
