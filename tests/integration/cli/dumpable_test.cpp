// `keepd run` makes itself non-dumpable once its config makes it hold secrets (a plugin
// loaded, a cluster secret): no core dump, no ptrace by other processes of its user. The
// observable: the kernel shows the files in a non-dumpable process's /proc/PID (status,
// environ, fd, ...) as owned by root.
// keepd is run as an unprivileged user (uid 65534, through setpriv) so the two cases
// differ: a dumpable keepd's /proc/PID/status belongs to 65534. Needs root to switch users.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/server_start.h"
#include "tests/integration/harness/temp_dir.h"

using namespace keepdb::integration;

namespace {

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;

// A keepd run as uid 65534 from a directory that user owns, optionally loading one plugin
// (a fixture that needs no options), until the object goes.
class KeepdAsNobody {
 public:
  explicit KeepdAsNobody(bool with_plugin) : dir_("dumpable") {
    std::string plugin_tables;
    if (with_plugin) {
      // The library stays root's (trusted: root-owned, 0755) in a directory of its own.
      const fs::path plugins = dir_ / "plugins";
      fs::create_directory(plugins);
      fs::copy_file(KEEPDB_DENY_ALL_SO, plugins / "libdeny.so");
      plugin_tables = "\n[plugins]\ndir = \"" + plugins.string() +
                      "\"\n\n[[plugin]]\nname = \"deny\"\npath = \"libdeny.so\"\n";
    }
    REQUIRE(::chown(dir_.path().c_str(), kNobody, kNobody) == 0);
    start_on_free_port([&](std::uint16_t port) {
      write_file(dir_ / "config.toml",
                 render_config(KeepdSettings("dumpable"), port) + plugin_tables);
      process_ = std::make_unique<ChildProcess>(
          std::vector<std::string>{KEEPDB_SETPRIV, "--reuid=65534", "--regid=65534",
                                   "--clear-groups", keepd_binary().string(), "run", "--config",
                                   (dir_ / "config.toml").string()},
          Redirects{.stderr_path = dir_ / ("keepd-" + std::to_string(port) + ".log")});
      log_ = dir_ / ("keepd-" + std::to_string(port) + ".log");
      const std::string ready = "ready: clients on 127.0.0.1:" + std::to_string(port);
      REQUIRE(
          poll_until([&] { return log().find(ready) != std::string::npos || !process_->running(); },
                     kStartTimeout));
      if (log().find(ready) != std::string::npos) return StartOutcome::kReady;
      INFO(log());
      REQUIRE(log().find(kPortTakenLogText) != std::string::npos);
      return StartOutcome::kPortTaken;
    });
  }

  ~KeepdAsNobody() {
    process_->send_signal(SIGTERM);
    if (!process_->wait(kStopTimeout)) process_->kill_now();
  }

  // Who the kernel says owns /proc/PID/status.
  uid_t proc_owner() const {
    struct stat info {};
    REQUIRE(::stat(("/proc/" + std::to_string(process_->pid()) + "/status").c_str(), &info) == 0);
    return info.st_uid;
  }

  std::string log() const { return read_file(log_); }

 private:
  TempDir dir_;
  fs::path log_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace

TEST_CASE("keepd run holding secrets is not dumpable, and without secrets stays dumpable",
          "[cli][secrets]") {
  if (::geteuid() != 0) {
    WARN("skipped: only root can run keepd as another user");
    return;
  }
  {
    const KeepdAsNobody plain(false);
    CHECK(plain.proc_owner() == kNobody);  // the observable works: a dumpable process
    CHECK(plain.log().find("not dumpable") == std::string::npos);
  }
  const KeepdAsNobody with_plugin(true);
  CHECK(with_plugin.proc_owner() == 0);
  CHECK(with_plugin.log().find(
            "process is not dumpable (no core dumps, no ptrace by the same user): plugins are "
            "loaded") != std::string::npos);
}
