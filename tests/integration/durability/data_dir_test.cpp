// The data directory's permissions: keepd creates it (and missing parents) 0700, accepts
// an existing private one, and refuses one that group or others can access, a path that
// is not a directory, a symbolic link (the data dir or its kv/raft subdirs), or a data dir
// below a directory another user could change, with a clear message and exit code 1.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"

using namespace keepdb::integration;

namespace {

mode_t permission_bits(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

// Runs `keepd run` on a config in `dir` whose data_dir is `data_dir`; for start-ups that
// must fail, so it returns once keepd exits.
ProgramResult run_keepd_to_exit(const TempDir& dir, const std::string& data_dir) {
  KeepdSettings settings("data-dir");
  settings.data_dir = data_dir;
  write_file(dir / "config.toml", render_config(settings, free_port()));
  return run_program({keepd_binary().string(), "run", "--config", (dir / "config.toml").string()},
                     "", kStartTimeout);
}

}  // namespace

TEST_CASE("a new data dir and its missing parents are created 0700", "[data-dir]") {
  KeepdSettings settings("data-dir-new");
  settings.data_dir = "nested/deeper/data";
  KeepdProcess keepd(settings);
  CHECK(permission_bits(keepd.dir() / "nested") == 0700);
  CHECK(permission_bits(keepd.dir() / "nested/deeper") == 0700);
  CHECK(permission_bits(keepd.data_dir()) == 0700);
  for (const auto& entry : std::filesystem::directory_iterator(keepd.data_dir())) {
    INFO(entry.path());
    CHECK((permission_bits(entry.path()) & 077) == 0);
  }
}

TEST_CASE("an existing 0700 data dir is used", "[data-dir]") {
  TempDir outside("data-dir-existing");
  const auto data = outside / "data";
  REQUIRE(::mkdir(data.c_str(), 0700) == 0);
  KeepdSettings settings("data-dir-existing");
  settings.data_dir = data.string();
  KeepdProcess keepd(settings);
  CHECK(RawClient(keepd.port()).command({"SET", "k", "v"}).text == "OK");
  CHECK(permission_bits(data) == 0700);
}

TEST_CASE("a data dir accessible by group or others is refused", "[data-dir]") {
  for (const mode_t mode : {0755, 0750, 0701, 0707}) {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%o", static_cast<unsigned>(mode));
    INFO("mode " << octal);
    TempDir dir("data-dir-wide");
    const auto data = dir / "data";
    REQUIRE(::mkdir(data.c_str(), 0700) == 0);
    REQUIRE(::chmod(data.c_str(), mode) == 0);
    const ProgramResult result = run_keepd_to_exit(dir, "data");
    INFO(result.err);
    CHECK(result.status.exited_normally(1));
    CHECK(result.err.find("data dir " + data.string() + " has mode " + octal) != std::string::npos);
    CHECK(result.err.find("must not be accessible by group or others") != std::string::npos);
    CHECK(result.err.find("chmod 700 " + data.string()) != std::string::npos);
    CHECK(result.err.find("ready") == std::string::npos);
    CHECK(permission_bits(data) == mode);  // keepd does not "fix" it silently
  }
}

TEST_CASE("a data dir path that is a file is refused", "[data-dir]") {
  TempDir dir("data-dir-file");
  write_file(dir / "data", "not a directory");
  const ProgramResult result = run_keepd_to_exit(dir, "data");
  INFO(result.err);
  CHECK(result.status.exited_normally(1));
  CHECK(result.err.find("exists and is not a directory") != std::string::npos);
}

TEST_CASE("a data dir that is a symbolic link is refused", "[data-dir]") {
  TempDir dir("data-dir-link");
  REQUIRE(::mkdir((dir / "real").c_str(), 0700) == 0);
  std::filesystem::create_directory_symlink(dir / "real", dir / "data");
  const ProgramResult result = run_keepd_to_exit(dir, "data");
  INFO(result.err);
  CHECK(result.status.exited_normally(1));
  CHECK(result.err.find("data dir " + (dir / "data").string() + " is a symbolic link (to " +
                        (dir / "real").string() + "); name the directory itself") !=
        std::string::npos);
  CHECK(result.err.find("ready") == std::string::npos);
  CHECK(std::filesystem::is_empty(dir / "real"));  // nothing was written through the link
}

TEST_CASE("kv and raft subdirs that are symbolic links are refused", "[data-dir]") {
  for (const std::string subdir : {"kv", "raft"}) {
    INFO(subdir);
    TempDir dir("data-dir-subdir-link");
    REQUIRE(::mkdir((dir / "data").c_str(), 0700) == 0);
    REQUIRE(::mkdir((dir / "elsewhere").c_str(), 0700) == 0);
    std::filesystem::create_directory_symlink(dir / "elsewhere", dir / "data" / subdir);
    const ProgramResult result = run_keepd_to_exit(dir, "data");
    INFO(result.err);
    CHECK(result.status.exited_normally(1));
    CHECK(result.err.find("data dir " + (dir / "data" / subdir).string() + " is a symbolic link") !=
          std::string::npos);
    CHECK(std::filesystem::is_empty(dir / "elsewhere"));
  }
}

TEST_CASE("a data dir below a directory writable by others is refused", "[data-dir]") {
  TempDir dir("data-dir-wide-parent");
  const auto wide = dir / "shared";
  REQUIRE(::mkdir(wide.c_str(), 0700) == 0);
  REQUIRE(::chmod(wide.c_str(), 0777) == 0);  // not sticky: anyone may rename what is inside
  const ProgramResult result = run_keepd_to_exit(dir, "shared/keepdb/data");
  INFO(result.err);
  CHECK(result.status.exited_normally(1));
  CHECK(result.err.find("data dir " + (wide / "keepdb" / "data").string() + ": " + wide.string() +
                        " is writable by group or others (mode 0777)") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(wide / "keepdb"));
}
