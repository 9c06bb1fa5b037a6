// libFuzzer target: the auth-token plugin's secrets file. Each input is written to a private
// file (mode 0600) and loaded; a malformed file must give std::invalid_argument naming the
// file and line, never a crash or a read out of bounds.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "plugins/auth-token/token_store.h"
#include "tests/support/temp_dir.h"

namespace {

// A file in a private temporary directory, made once per fuzzing process and removed when
// it exits.
const std::string& secrets_path() {
  static const keepdb::test::TempDir dir("tokens-fuzz");
  static const std::string path = dir / "secrets";
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = secrets_path();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) __builtin_trap();
  std::size_t written = 0;
  while (written < size) {
    const ssize_t got = ::write(fd, data + written, size - written);
    if (got <= 0) __builtin_trap();
    written += static_cast<std::size_t>(got);
  }
  ::close(fd);
  try {
    const auto store = keepdb::auth_token::TokenStore::load(path, 16);
    (void)store.verify("", "a-token-that-is-long-enough");
  } catch (const std::invalid_argument&) {
    // A malformed file: the expected outcome for most inputs.
  }
  return 0;
}
