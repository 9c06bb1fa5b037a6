// What a configuration reload may apply to a running node. A reload either applies every
// change in the new file or none: restart_required() names each changed setting that only
// takes effect at start (listener addresses, node id, data dir, cluster, the set of plugins,
// the limits a connection or the state machine fixes when it starts, ...), and the reload
// is refused when it names any. Otherwise apply_runtime() copies the settings that take
// effect at run time into the running configuration: the limits read on each use
// (max_connections, max_client_memory_bytes, max_reply_buffer_bytes, idle_timeout_ms,
// request_timeout_ms, auth_timeout_ms, max_keys_visited, max_queued_commands,
// max_transaction_bytes, max_watched_keys) and the plugins' options (which
// the plugin host turns into new instances).
//
// Thread-safety: pure functions over values; apply_runtime() writes `running`, so call it
// where the running configuration's readers are (the network thread).
#pragma once

#include <string>
#include <vector>

#include "kernel/config/config.h"

namespace keepdb::config {

// The changed settings that need a restart, by key ("client.port", "storage.data_dir",
// "the set of [[plugin]] tables", ...), in file order; empty when `next` can be applied.
// A change to a setting this list does not know by name is reported as "other settings"
// rather than dropped.
std::vector<std::string> restart_required(const Config& running, const Config& next);

// Copies the run-time settings of `next` into `running`. Only when restart_required() is
// empty; afterwards `running == next`.
void apply_runtime(Config& running, const Config& next);

}  // namespace keepdb::config
