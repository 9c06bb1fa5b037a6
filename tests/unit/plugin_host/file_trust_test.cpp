// LibraryFile::open on plain files (no library is loaded): the last component opened with
// O_NOFOLLOW and checked through its descriptor, and every directory above it checked with
// the trusted-path rule, following linked directories the way the kernel does.
#include "kernel/plugin_host/file_trust.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace keepdb::plugin_host {
namespace {

namespace fs = std::filesystem;
using Status = LibraryFile::Status;

fs::path make_file(const fs::path& path, mode_t mode = 0644) {
  std::ofstream(path) << "bytes";
  REQUIRE(::chmod(path.c_str(), mode) == 0);
  return path;
}

}  // namespace

TEST_CASE("file trust: a private file opens, and its /proc/self/fd name is that file",
          "[file_trust]") {
  test::TempDir dir;
  const fs::path path = make_file(dir.path() / "lib.so");
  const LibraryFile file = LibraryFile::open(path);
  REQUIRE(file.status() == Status::kOpen);
  CHECK(file.problem().empty());
  CHECK(file.resolved_path() == path);
  CHECK(fs::read_symlink(file.proc_path()) == path);
}

TEST_CASE("file trust: the descriptor is closed when the file object goes", "[file_trust]") {
  test::TempDir dir;
  const fs::path path = make_file(dir.path() / "lib.so");
  int fd = -1;
  {
    LibraryFile file = LibraryFile::open(path);
    const LibraryFile moved = std::move(file);
    fd = moved.descriptor();
    REQUIRE(::fcntl(fd, F_GETFD) >= 0);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  }
  CHECK(::fcntl(fd, F_GETFD) == -1);
}

TEST_CASE("file trust: a bare file name is found in the working directory", "[file_trust]") {
  test::TempDir dir;
  const fs::path path = make_file(dir.path() / "lib.so");
  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  const LibraryFile file = LibraryFile::open("lib.so");
  fs::current_path(previous);
  REQUIRE(file.status() == Status::kOpen);
  CHECK(file.resolved_path() == path);
}

TEST_CASE("file trust: a symbolic link as the file is refused and named", "[file_trust]") {
  test::TempDir dir;
  const fs::path target = make_file(dir.path() / "real.so");
  const fs::path link = dir.path() / "lib.so";
  fs::create_symlink(target, link);
  const LibraryFile file = LibraryFile::open(link);
  CHECK(file.status() == Status::kUntrusted);
  CHECK(file.descriptor() == -1);
  CHECK(file.problem() == link.string() + " is a symbolic link (to " + target.string() +
                              "); name the library file itself, plugins are not loaded through "
                              "links");
}

TEST_CASE("file trust: a file writable by group or others is refused", "[file_trust]") {
  test::TempDir dir;
  const mode_t mode = GENERATE(0664, 0646, 0775);
  const fs::path path = make_file(dir.path() / "lib.so", mode);
  const LibraryFile file = LibraryFile::open(path);
  CHECK(file.status() == Status::kUntrusted);
  CHECK(file.problem().find(path.string() + " is writable by group or others (mode 0") == 0);
}

TEST_CASE("file trust: a missing file, a directory and a FIFO are unreadable", "[file_trust]") {
  test::TempDir dir;
  CHECK(LibraryFile::open(dir.path() / "missing.so").problem() ==
        (dir.path() / "missing.so").string() + ": No such file or directory");
  fs::create_directory(dir.path() / "dir.so");
  CHECK(LibraryFile::open(dir.path() / "dir.so").problem() ==
        (dir.path() / "dir.so").string() + " is not a regular file");
  const fs::path fifo = dir.path() / "fifo.so";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const LibraryFile file = LibraryFile::open(fifo);  // returns at once, no writer needed
  CHECK(file.status() == Status::kUnreadable);
  CHECK(file.problem() == fifo.string() + " is not a regular file");
}

TEST_CASE("file trust: any directory above the file writable by others is refused",
          "[file_trust]") {
  test::TempDir dir;
  const fs::path wide = dir.path() / "wide";
  fs::create_directories(wide / "a" / "b");
  const fs::path path = make_file(wide / "a" / "b" / "lib.so");
  REQUIRE(::chmod(wide.c_str(), 0777) == 0);
  CHECK(LibraryFile::open(path).problem() ==
        wide.string() + " is writable by group or others (mode 0777)");
  REQUIRE(::chmod(wide.c_str(), 0770) == 0);
  CHECK(LibraryFile::open(path).status() == Status::kUntrusted);
  REQUIRE(::chmod(wide.c_str(), 0755) == 0);
  CHECK(LibraryFile::open(path).status() == Status::kOpen);
}

TEST_CASE("file trust: '..' after a linked directory goes up from the link's target",
          "[file_trust]") {
  // What open() would reach, not what the path text suggests.
  test::TempDir dir;
  fs::create_directories(dir.path() / "x" / "y");
  const fs::path real = make_file(dir.path() / "x" / "lib.so");
  fs::create_directory_symlink(dir.path() / "x" / "y", dir.path() / "link");
  const LibraryFile file = LibraryFile::open(dir.path() / "link" / ".." / "lib.so");
  REQUIRE(file.status() == Status::kOpen);
  CHECK(file.resolved_path() == real);
}

TEST_CASE("file trust: relative links are followed from their own directory", "[file_trust]") {
  test::TempDir dir;
  fs::create_directories(dir.path() / "real" / "plugins");
  const fs::path real = make_file(dir.path() / "real" / "plugins" / "lib.so");
  fs::create_directory(dir.path() / "links");
  fs::create_directory_symlink("../real/plugins", dir.path() / "links" / "plugins");
  const LibraryFile file = LibraryFile::open(dir.path() / "links" / "plugins" / "lib.so");
  REQUIRE(file.status() == Status::kOpen);
  CHECK(file.resolved_path() == real);
}

TEST_CASE("file trust: a linked directory whose target is not trusted is refused", "[file_trust]") {
  test::TempDir dir;
  const fs::path wide = dir.path() / "wide";
  fs::create_directories(wide / "plugins");
  make_file(wide / "plugins" / "lib.so");
  REQUIRE(::chmod(wide.c_str(), 0777) == 0);
  fs::create_directory_symlink(wide / "plugins", dir.path() / "plugins");
  const LibraryFile file = LibraryFile::open(dir.path() / "plugins" / "lib.so");
  CHECK(file.status() == Status::kUntrusted);
  CHECK(file.problem() == wide.string() + " is writable by group or others (mode 0777)");
}

TEST_CASE("file trust: links that loop are unreadable, not followed forever", "[file_trust]") {
  test::TempDir dir;
  fs::create_directory_symlink(dir.path() / "b", dir.path() / "a");
  fs::create_directory_symlink(dir.path() / "a", dir.path() / "b");
  const LibraryFile file = LibraryFile::open(dir.path() / "a" / "lib.so");
  CHECK(file.status() == Status::kUnreadable);
  CHECK(file.problem().find("too many levels of symbolic links") != std::string::npos);
}

TEST_CASE("file trust: files, directories and links owned by another user are refused",
          "[file_trust]") {
  if (::geteuid() != 0) {
    WARN("skipped: only root can give a file to another user");
    return;
  }
  test::TempDir dir;
  fs::create_directories(dir.path() / "plugins");
  const fs::path path = make_file(dir.path() / "plugins" / "lib.so");
  fs::create_directory_symlink(dir.path() / "plugins", dir.path() / "link");

  REQUIRE(::lchown((dir.path() / "link").c_str(), 65534, 65534) == 0);
  CHECK(LibraryFile::open(dir.path() / "link" / "lib.so").problem() ==
        "symbolic link " + (dir.path() / "link").string() +
            " is owned by uid 65534, neither root nor the user running keepd (uid 0)");

  REQUIRE(::chown((dir.path() / "plugins").c_str(), 65534, 65534) == 0);
  CHECK(LibraryFile::open(path).problem().find((dir.path() / "plugins").string() +
                                               " is owned by uid 65534") == 0);
  REQUIRE(::chown((dir.path() / "plugins").c_str(), 0, 0) == 0);

  REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
  CHECK(LibraryFile::open(path).problem().find(path.string() + " is owned by uid 65534") == 0);
}

}  // namespace keepdb::plugin_host
