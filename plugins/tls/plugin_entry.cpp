// The tls plugin's one exported symbol (plugin.h convention 1).
#include <keepdb/plugin.h>

#include "plugins/tls/tls_plugin.h"

// Refuses a 1.0 host, which would not resolve the *_file options (KDB_OPT_PATH is 1.1).
extern "C" const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api* host) {
  return host != nullptr && host->abi_minor >= 1 ? &keepdb::tls::plugin_descriptor() : nullptr;
}
