// Run-time configuration changes as the command layer sees them: KEEPDB.RELOAD asks the
// node to re-read its configuration file (SIGHUP takes the same path), CONFIG SET replaces
// the limits that take effect at run time. kernel/node/config_reloader.h implements both.
//
// Thread-safety: reload() runs on the network thread, which serializes reloads.
// Lifetime: the node's reloader outlives every connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kernel/config/config.h"

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
  // Makes `limits` the running limits (CONFIG SET has checked every value against the
  // ranges of kernel/config/limit_ranges.h and changed only run-time limits) and logs
  // `change` ("maxclients 200") with its origin. Until the next reload or restart: the file
  // is not rewritten.
  virtual void set_limits(const config::Limits& limits, const std::string& change,
                          const ReloadOrigin& origin) = 0;
};

}  // namespace keepdb::commands
