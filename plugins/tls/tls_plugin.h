// The tls plugin's descriptor: create/destroy and the kdb_transport_v1 table, behind the
// SDK's exception barrier. Exported by the .so through plugin_entry.cpp; unit tests, the
// fuzz target and the benchmark link this library and drive the same table.
//
// Thread-safety: the descriptor is static and immutable; see plugin.h convention 6 for
// the calls, README.md for what the plugin does on which thread.
#pragma once

#include <keepdb/plugin.h>

namespace keepdb::tls {

// Valid for the life of the process.
const kdb_plugin_descriptor& plugin_descriptor();

// Whether an established session resumed an earlier one (a ticket). kdb_peer_identity
// has no field for it; tests and the benchmark ask here.
bool session_resumed(const kdb_tls_session* session);

}  // namespace keepdb::tls
