// Parsing and checking the audit plugin's options (settings.h).
#include "plugins/audit/settings.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keepdb/plugin_sdk.hpp>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace keepdb::audit {

const kdb_option_spec kOptionSpecs[] = {
    kdb::sdk::option("sink",
                     "\"file\" (JSON Lines, default) or \"syslog\" (RFC 5424, local socket)", 0),
    kdb::sdk::option("path", "file sink: the JSON Lines file (required for sink = \"file\")",
                     KDB_OPT_PATH),
    kdb::sdk::option("fsync", "\"every_record\", \"interval_ms\" (default) or \"none\"", 0),
    kdb::sdk::option("fsync_interval_ms",
                     "fsync = \"interval_ms\": the longest a record stays unsynced (1 to 60000; "
                     "default 200)",
                     0),
    kdb::sdk::option("max_bytes",
                     "rotate when the file would pass this size (0: never; else at least 4096; "
                     "default 67108864)",
                     0),
    kdb::sdk::option("keep", "rotated files kept: path.1 ... path.N (1 to 1000; default 10)", 0),
    kdb::sdk::option("node_id",
                     "the node id written into every record (default: the kernel's [node] id)",
                     0),
    kdb::sdk::option("hash_keys",
                     "true: record HMAC-SHA-256 of each command key instead of the key (default "
                     "false)",
                     0),
    kdb::sdk::option("key_hash_key_file",
                     "hash_keys = true: file holding the HMAC key for command keys (mode 0600, "
                     "at least 16 bytes)",
                     KDB_OPT_PATH),
    kdb::sdk::option("chain_key_file",
                     "optional: file holding the HMAC key of the record chain (mode 0600, at "
                     "least 16 bytes); without it the chain is plain SHA-256",
                     KDB_OPT_PATH),
    kdb::sdk::option("syslog_socket", "syslog sink: the local socket (default /dev/log)",
                     KDB_OPT_PATH),
    kdb::sdk::option("syslog_facility",
                     "syslog sink: auth, authpriv (default), daemon, user or local0 ... local7", 0),
};
const std::size_t kOptionCount = sizeof kOptionSpecs / sizeof kOptionSpecs[0];

namespace {

[[noreturn]] void refuse(const std::string& message) {
  throw std::invalid_argument(message);
}

std::uint64_t parse_number(std::string_view key, std::string_view text, std::uint64_t min,
                           std::uint64_t max) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    refuse("option '" + std::string(key) + "' must be an integer from " + std::to_string(min) +
           " to " + std::to_string(max) + ", not '" + std::string(text) + "'");
  }
  return value;
}

bool parse_bool(std::string_view key, std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  refuse("option '" + std::string(key) + "' must be true or false, not '" + std::string(text) +
         "'");
}

FsyncPolicy parse_fsync(std::string_view text) {
  if (text == "every_record") return FsyncPolicy::kEveryRecord;
  if (text == "interval_ms") return FsyncPolicy::kInterval;
  if (text == "none") return FsyncPolicy::kNone;
  refuse("option 'fsync' must be \"every_record\", \"interval_ms\" or \"none\", not '" +
         std::string(text) + "'");
}

int parse_facility(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, int>, 12> kFacilities{{
      {"user", 1},
      {"daemon", 3},
      {"auth", 4},
      {"authpriv", 10},
      {"local0", 16},
      {"local1", 17},
      {"local2", 18},
      {"local3", 19},
      {"local4", 20},
      {"local5", 21},
      {"local6", 22},
      {"local7", 23},
  }};
  for (const auto& [name, code] : kFacilities) {
    if (name == text) return code;
  }
  refuse(
      "option 'syslog_facility' must be auth, authpriv, daemon, user or local0 ... local7, "
      "not '" +
      std::string(text) + "'");
}

}  // namespace

kdb::sdk::SecretBytes read_key_file(const std::string& path, std::string_view option) {
  const auto fail = [&](const std::string& why) -> void {
    refuse("option '" + std::string(option) + "': key file " + path + ": " + why);
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) fail(std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) fail(std::strerror(errno));
  if (!S_ISREG(info.st_mode)) fail("not a regular file");
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    fail(std::string("must not be accessible by group or others (mode ") + mode +
         "; chmod 600 it)");
  }
  if (info.st_size > 4096) fail("longer than 4096 bytes");
  auto key = kdb::sdk::SecretBytes::zeroed(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < key.size()) {
    const ssize_t n = ::read(fd, key.data() + done, key.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(n < 0 ? std::strerror(errno) : "changed while being read");
    done += static_cast<std::size_t>(n);
  }
  std::size_t size = key.size();
  while (size > 0 && (key.data()[size - 1] == '\n' || key.data()[size - 1] == '\r')) --size;
  key.truncate(size);
  if (key.size() < 16) fail("holds fewer than 16 bytes");
  return key;
}

Settings parse_settings(const kdb_option* options, std::size_t n) {
  Settings settings;
  const auto get = [&](std::string_view key) { return kdb::sdk::find_option(options, n, key); };
  if (const auto sink = get("sink")) {
    if (*sink == "file") {
      settings.sink = SinkKind::kFile;
    } else if (*sink == "syslog") {
      settings.sink = SinkKind::kSyslog;
    } else {
      refuse("option 'sink' must be \"file\" or \"syslog\", not '" + std::string(*sink) + "'");
    }
  }
  const bool file = settings.sink == SinkKind::kFile;
  const auto only_for = [&](std::string_view key, bool allowed, std::string_view sink) {
    if (!allowed && get(key)) {
      refuse("option '" + std::string(key) + "' applies to sink = \"" + std::string(sink) +
             "\" only");
    }
  };
  for (const std::string_view key :
       {"path", "fsync", "fsync_interval_ms", "max_bytes", "keep", "chain_key_file"}) {
    only_for(key, file, "file");
  }
  for (const std::string_view key : {"syslog_socket", "syslog_facility"}) {
    only_for(key, !file, "syslog");
  }
  if (file) {
    const auto path = get("path");
    if (!path || path->empty()) refuse("option 'path' is required for sink = \"file\"");
    settings.path = std::string(*path);
  }
  if (const auto v = get("fsync")) settings.fsync = parse_fsync(*v);
  if (const auto v = get("fsync_interval_ms")) {
    if (settings.fsync != FsyncPolicy::kInterval) {
      refuse("option 'fsync_interval_ms' needs fsync = \"interval_ms\"");
    }
    settings.fsync_interval =
        std::chrono::milliseconds(parse_number("fsync_interval_ms", *v, 1, 60000));
  }
  if (const auto v = get("max_bytes")) {
    settings.max_bytes = parse_number("max_bytes", *v, 0, 1ull << 50);
    if (settings.max_bytes != 0 && settings.max_bytes < 4096) {
      refuse("option 'max_bytes' must be 0 (never rotate) or at least 4096, not '" +
             std::string(*v) + "'");
    }
  }
  if (const auto v = get("keep"))
    settings.keep = static_cast<unsigned>(parse_number("keep", *v, 1, 1000));
  if (const auto v = get("node_id")) settings.node_id = std::string(*v);
  if (const auto v = get("hash_keys")) settings.hash_keys = parse_bool("hash_keys", *v);
  const auto key_hash_file = get("key_hash_key_file");
  if (settings.hash_keys && !key_hash_file) {
    refuse("option 'hash_keys = true' needs 'key_hash_key_file', the HMAC key for command keys");
  }
  if (!settings.hash_keys && key_hash_file) {
    refuse("option 'key_hash_key_file' is only used with hash_keys = true");
  }
  if (key_hash_file) {
    settings.key_hash_key = read_key_file(std::string(*key_hash_file), "key_hash_key_file");
  }
  if (const auto v = get("chain_key_file")) {
    settings.chain_key = read_key_file(std::string(*v), "chain_key_file");
  }
  if (const auto v = get("syslog_socket")) settings.syslog_socket = std::string(*v);
  if (const auto v = get("syslog_facility")) settings.syslog_facility = parse_facility(*v);
  return settings;
}

}  // namespace keepdb::audit
