// Whole-file reads and writes for every test tier: configuration, secrets, key files and
// logs that tests write for a server or plugin to read, and the files those write back.
//
// Thread-safety: safe from any thread on different files.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace keepdb::test {

// Mode 0600: what every secret and key file must have for the plugins to accept it.
inline constexpr std::filesystem::perms kOwnerOnly =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

// The whole file; "" when it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Writes `text` to `path`, replacing it; with `mode`, then gives the file exactly those
// permission bits (else it keeps what the umask gave a new file). Throws
// std::runtime_error when it cannot.
inline void write_file(const std::filesystem::path& path, std::string_view text,
                       std::optional<std::filesystem::perms> mode = std::nullopt) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path.string());
  }
  if (mode) std::filesystem::permissions(path, *mode);
}

}  // namespace keepdb::test
