// The interface the plugin's ABI surface drives: one audit sink (the JSON Lines file or
// syslog), and the logger sinks report through (the host's log service in the plugin, a
// collector in tests).
//
// Thread-safety: record() and flush() are called serially from one thread (the host's
// audit thread, plugin.h convention 6); a sink's own threads synchronize internally.
#pragma once

#include <keepdb/plugin.h>

#include <functional>
#include <string_view>

namespace keepdb::audit {

// (KDB_LOG_* level, one line without secrets).
using Logger = std::function<void(int, std::string_view)>;

class Sink {
 public:
  virtual ~Sink() = default;
  // Writes one record; false when it could not (the sink logs why, once per outage), in
  // which case nothing of the record is left behind and the next call may succeed.
  virtual bool record(const kdb_audit_event& event) = 0;
  // False while the sink cannot write.
  virtual bool flush() = 0;
};

}  // namespace keepdb::audit
