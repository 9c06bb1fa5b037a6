// Secrets-file parsing and constant-time token verification.
#include "plugins/auth-token/token_store.h"

#include <fcntl.h>
#include <keepdb/plugin.h>
#include <keepdb/plugin_sdk.hpp>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <keepdb/secret_bytes.hpp>

namespace keepdb::auth_token {
namespace {

constexpr off_t kMaxSecretsFileBytes = 16 << 20;
constexpr std::size_t kMaxNameLength = 64;

[[noreturn]] void fail(const std::string& file, const std::string& problem) {
  throw std::invalid_argument("secrets file " + file + ": " + problem);
}

[[noreturn]] void fail_line(const std::string& file, int line, const std::string& problem) {
  fail(file, "line " + std::to_string(line) + ": " + problem);
}

// Reads the whole file through one descriptor, after checking that descriptor's mode, into
// memory that is wiped when freed.
kdb::sdk::SecretBytes read_private_file(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(file, std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) fail(file, std::strerror(errno));
  if (!S_ISREG(info.st_mode)) fail(file, "not a regular file");
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    fail(file, std::string("must not be accessible by group or others (mode ") + mode +
                   "); chmod 600 it");
  }
  if (info.st_size > kMaxSecretsFileBytes) fail(file, "larger than 16 MiB");
  kdb::sdk::SecretBytes text = kdb::sdk::SecretBytes::zeroed(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(file, std::strerror(errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  text.truncate(done);
  return text;
}

// The whitespace-separated fields of one line, as views into it (no copy of a hash).
std::vector<std::string_view> fields_of(std::string_view line) {
  static constexpr std::string_view kSpace = " \t\r\v\f";
  std::vector<std::string_view> fields;
  for (std::size_t start = line.find_first_not_of(kSpace); start != std::string_view::npos;
       start = line.find_first_not_of(kSpace, start)) {
    const std::size_t end = std::min(line.find_first_of(kSpace, start), line.size());
    fields.push_back(line.substr(start, end - start));
    start = end;
  }
  return fields;
}

std::uint32_t parse_roles(const std::string& file, int line, const std::string& field) {
  std::uint32_t roles = 0;
  std::istringstream list(field);
  std::string role;
  while (std::getline(list, role, ',')) {
    const std::uint32_t bit = kdb::sdk::role_bit(role);
    if (bit == 0) {
      fail_line(file, line, "unknown role '" + role + "' (roles: read, write, admin)");
    }
    roles |= bit;
  }
  if (roles == 0) fail_line(file, line, "no role given");
  return roles;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::strchr("._@:+-", c) != nullptr;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

TokenStore TokenStore::load(const std::string& secrets_file, std::size_t min_length) {
  if (min_length < kMinTokenLength || min_length > kMaxTokenLength) {
    throw std::invalid_argument("min_token_length must be between " +
                                std::to_string(kMinTokenLength) + " and " +
                                std::to_string(kMaxTokenLength));
  }
  TokenStore store;
  store.min_length_ = min_length;
  const kdb::sdk::SecretBytes contents = read_private_file(secrets_file);
  const std::string_view text = contents.view();
  int line = 0;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::vector<std::string_view> fields = fields_of(text.substr(start, end - start));
    start = end + 1;
    ++line;
    if (fields.empty() || fields[0].front() == '#') continue;
    // The first field is never echoed: someone may have pasted a token instead of its hash.
    const std::optional<TokenDigest> digest = digest_from_hex(fields[0]);
    if (!digest) {
      fail_line(secrets_file, line,
                "first field must be a 64-character SHA-256 hex digest (see `keepd token hash`)");
    }
    if (fields.size() < 2) fail_line(secrets_file, line, "missing roles");
    if (fields.size() > 3) fail_line(secrets_file, line, "too many fields");
    const std::string name(fields.size() == 3 ? fields[2] : std::string_view());
    if (!name.empty() && !valid_name(name)) {
      fail_line(secrets_file, line, "name must be 1-64 of A-Z a-z 0-9 . _ @ : + -");
    }
    for (const TokenEntry& other : store.entries_) {
      if (other.digest == *digest) fail_line(secrets_file, line, "the same hash appears twice");
    }
    store.entries_.push_back(
        TokenEntry{*digest, parse_roles(secrets_file, line, std::string(fields[1])),
                   name.empty() ? "token:" + to_hex(*digest).substr(0, 8) : name});
  }
  return store;
}

Verdict TokenStore::verify(std::string_view username, std::string_view token) const {
  if (token.size() < min_length_) {
    return {Verdict::Outcome::kNotMine, nullptr, "token shorter than min_token_length"};
  }
  if (token.size() > kMaxTokenLength) {
    return {Verdict::Outcome::kNotMine, nullptr, "token longer than 4096 bytes"};
  }
  TokenDigest presented = token_digest(token);
  // Every entry is compared, in constant time, whatever matches: timing reveals neither
  // which entry matched nor how much of a digest did.
  const TokenEntry* match = nullptr;
  for (const TokenEntry& entry : entries_) {
    if (CRYPTO_memcmp(entry.digest.data(), presented.data(), presented.size()) == 0) {
      match = &entry;
    }
  }
  OPENSSL_cleanse(presented.data(), presented.size());
  const bool named_user = !username.empty() && username != "default";
  if (match != nullptr) {
    if (named_user && match->name != username) {
      return {Verdict::Outcome::kRejected, nullptr, "token does not belong to the named user"};
    }
    return {Verdict::Outcome::kAccepted, match, "token accepted"};
  }
  if (named_user) {
    for (const TokenEntry& entry : entries_) {
      if (entry.name == username) {
        return {Verdict::Outcome::kRejected, nullptr, "wrong token for a known user"};
      }
    }
  }
  return {Verdict::Outcome::kNotMine, nullptr, "no matching token"};
}

}  // namespace keepdb::auth_token
