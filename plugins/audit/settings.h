// The audit plugin's options, parsed and checked once in create(): which sink, where it
// writes, the fsync and rotation policies, and the two optional keys (one for hashing
// command keys, one for the HMAC chain), read from files only group and others cannot read.
//
// Thread-safety: a Settings is immutable after parse_settings() and may be read from any
// thread. Ownership: Settings owns its keys (SecretBytes, wiped when freed).
#pragma once

#include <keepdb/plugin.h>
#include <keepdb/secret_bytes.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace keepdb::audit {

enum class SinkKind { kFile, kSyslog };
enum class FsyncPolicy { kEveryRecord, kInterval, kNone };

struct Settings {
  SinkKind sink = SinkKind::kFile;
  std::string path;  // file sink: the current file; rotated files are path.1 ... path.keep
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  std::chrono::milliseconds fsync_interval{200};
  std::uint64_t max_bytes = 64ull << 20;  // rotate before a record would pass it; 0: never
  unsigned keep = 10;                     // rotated files kept
  std::string node_id;
  bool hash_keys = false;
  kdb::sdk::SecretBytes key_hash_key;  // HMAC-SHA-256 key for command keys (hash_keys)
  kdb::sdk::SecretBytes chain_key;     // empty: the chain is plain SHA-256
  std::string syslog_socket = "/dev/log";
  int syslog_facility = 10;  // authpriv
};

// The accepted options, for the descriptor.
extern const kdb_option_spec kOptionSpecs[];
extern const std::size_t kOptionCount;

// Throws std::invalid_argument with a one-line message naming the option (never a key's
// bytes) when an option is malformed, inconsistent or names an unusable key file.
Settings parse_settings(const kdb_option* options, std::size_t n);

// The bytes of a key file (at least 16 of them, a trailing newline dropped). Throws
// std::invalid_argument when it cannot be read, is not a regular file, is accessible by
// group or others, or is too short. `option` names the option in the message.
kdb::sdk::SecretBytes read_key_file(const std::string& path, std::string_view option);

}  // namespace keepdb::audit
