// Loading and wiping the cluster secret.
#include "kernel/consensus/peer/cluster_secret.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "util/path_trust.h"

namespace keepdb::consensus {
namespace {

[[noreturn]] void refuse(const std::filesystem::path& file, const std::string& reason) {
  throw std::runtime_error("cluster.secret_file " + file.string() + ": " + reason);
}

// Owns a file descriptor for the duration of the load.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

ClusterSecret ClusterSecret::load(const std::filesystem::path& file) {
  const util::DirectoryChain chain = util::check_directory_chain(
      file.has_parent_path() ? file.parent_path() : std::filesystem::path("."));
  if (chain.status == util::DirectoryChain::Status::kUntrusted) refuse(file, chain.problem);
  const Descriptor descriptor{::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (descriptor.fd < 0) {
    refuse(file, errno == ELOOP ? "is a symbolic link; name the file itself"
                                : std::string(std::strerror(errno)));
  }
  struct stat info {};
  if (::fstat(descriptor.fd, &info) != 0) refuse(file, std::strerror(errno));
  if (!S_ISREG(info.st_mode)) refuse(file, "is not a regular file");
  if (info.st_uid != ::geteuid()) {
    refuse(file, "is owned by uid " + std::to_string(info.st_uid) +
                     ", not by the user keepd "
                     "runs as (uid " +
                     std::to_string(::geteuid()) + ")");
  }
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    refuse(file,
           std::string("has mode ") + mode + "; it must be readable by its owner only (chmod 600)");
  }
  if (info.st_size > static_cast<off_t>(kMaxBytes + 64)) {
    refuse(file, "is larger than " + std::to_string(kMaxBytes) + " bytes");
  }
  ClusterSecret secret;
  secret.bytes_.resize(static_cast<std::size_t>(info.st_size));
  std::size_t filled = 0;
  while (filled < secret.bytes_.size()) {
    const ssize_t got =
        ::read(descriptor.fd, secret.bytes_.data() + filled, secret.bytes_.size() - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) refuse(file, std::strerror(errno));
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  // Cut in place (no reallocation, so no unwiped copy is left behind).
  while (filled > 0 && std::strchr(" \t\r\n", secret.bytes_[filled - 1]) != nullptr) --filled;
  OPENSSL_cleanse(secret.bytes_.data() + filled, secret.bytes_.size() - filled);
  secret.bytes_.resize(filled);
  if (secret.bytes_.size() < kMinBytes) {
    refuse(file, "holds fewer than " + std::to_string(kMinBytes) +
                     " bytes; generate one with: openssl rand -hex 32");
  }
  if (secret.bytes_.size() > kMaxBytes) {
    refuse(file, "is larger than " + std::to_string(kMaxBytes) + " bytes");
  }
  return secret;
}

ClusterSecret ClusterSecret::from_bytes(std::span<const std::uint8_t> bytes) {
  ClusterSecret secret;
  secret.bytes_.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return secret;
}

ClusterSecret::ClusterSecret(ClusterSecret&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.wipe();
}

ClusterSecret& ClusterSecret::operator=(ClusterSecret&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.wipe();
  }
  return *this;
}

ClusterSecret::~ClusterSecret() {
  wipe();
}

void ClusterSecret::wipe() noexcept {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

}  // namespace keepdb::consensus
