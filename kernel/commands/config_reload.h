// The configuration reload as the command layer sees it: KEEPDB.RELOAD asks the node to
// re-read its configuration file (kernel/node/config_reloader.h implements it; SIGHUP
// takes the same path).
//
// Thread-safety: reload() runs on the network thread, which serializes reloads.
// Lifetime: the node's reloader outlives every connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace keepdb::commands {

// Who asked for a reload, for the log line and the config_reload audit event.
struct ReloadOrigin {
  std::string trigger;        // "KEEPDB.RELOAD" or "SIGHUP"
  std::uint64_t conn_id = 0;  // 0: not a client (a signal)
  std::string peer_addr;      // "ip:port" of the client; empty for a signal
  std::string principal;      // empty for a signal
};

class ConfigReload {
 public:
  virtual ~ConfigReload() = default;
  // Re-reads the configuration file and applies all of it, or nothing. Returns nullopt when
  // applied, else the client's error line ("ERR reload failed: ...; the running
  // configuration is kept").
  virtual std::optional<std::string> reload(const ReloadOrigin& origin) = 0;
};

}  // namespace keepdb::commands
