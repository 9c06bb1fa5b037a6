// Durable snapshot data files: temp file, fsync, rename, directory fsync; CRC-checked reads.
#include "storage/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "storage/crc32.h"
#include "util/posix_file.h"

namespace keepdb::storage {
namespace {

util::IoStatus corrupt(const std::string& what) {
  return util::IoStatus::failure(RAFT_CORRUPT, "corrupt snapshot file: " + what);
}

}  // namespace

std::string snapshot_file_name(std::uint64_t sequence) {
  char name[40];
  std::snprintf(name, sizeof name, "snapshot-%016llx", static_cast<unsigned long long>(sequence));
  return name;
}

util::IoStatus write_snapshot_file(const std::filesystem::path& directory, std::uint64_t sequence,
                             std::span<const raft_buffer> buffers, std::uint32_t& crc32) {
  const std::filesystem::path final_path = directory / snapshot_file_name(sequence);
  const std::filesystem::path temp_path = directory / (snapshot_file_name(sequence) + ".tmp");
  util::FileDescriptor fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return util::os_failure("create " + temp_path.string(), errno);
  Crc32 crc;
  for (const raft_buffer& buffer : buffers) {
    const auto* bytes = static_cast<const std::uint8_t*>(buffer.base);
    if (util::IoStatus status = util::write_all(fd.get(), bytes, buffer.len, temp_path.string());
        !status.ok()) {
      return status;
    }
    crc.update({bytes, buffer.len});
  }
  if (::fsync(fd.get()) != 0) return util::os_failure("fsync " + temp_path.string(), errno);
  if (!fd.close()) return util::os_failure("close " + temp_path.string(), errno);
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    return util::os_failure("rename " + temp_path.string(), errno);
  }
  crc32 = crc.value();
  return util::fsync_directory(directory);
}

util::IoStatus read_snapshot_file(const std::filesystem::path& directory, std::uint64_t sequence,
                            std::uint32_t expected_crc32, std::span<std::uint8_t> out) {
  const std::filesystem::path path = directory / snapshot_file_name(sequence);
  util::FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return corrupt("cannot open " + path.string() + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return util::os_failure("stat " + path.string(), errno);
  if (static_cast<std::uint64_t>(info.st_size) != out.size()) {
    return corrupt(path.string() + " has " + std::to_string(info.st_size) + " bytes, expected " +
                   std::to_string(out.size()));
  }
  std::size_t got = 0;
  if (util::IoStatus status = util::pread_all(fd.get(), out.data(), out.size(), 0, got, path.string());
      !status.ok()) {
    return status;
  }
  if (got != out.size()) return corrupt(path.string() + " is shorter than its metadata says");
  if (crc32_of(out) != expected_crc32) return corrupt(path.string() + " fails its CRC-32 check");
  return util::IoStatus::success();
}

void remove_other_snapshot_files(const std::filesystem::path& directory,
                                 std::uint64_t keep_sequence) {
  const std::string keep = snapshot_file_name(keep_sequence);
  std::error_code error;
  std::filesystem::directory_iterator entry(directory, error);
  for (; !error && entry != std::filesystem::directory_iterator(); entry.increment(error)) {
    std::error_code ignored;
    if (entry->path().filename() != keep) std::filesystem::remove(entry->path(), ignored);
  }
}

}  // namespace keepdb::storage
