// The admission gate over every plugin of kind admission, in config order: each
// kdb_admission_v1 `check` is asked in turn and the first denial wins. A plugin that breaks
// the contract (throws, returns a status other than KDB_OK or KDB_E_DENIED, or was disabled
// for writing past a host buffer) refuses the request: admission fails closed, and the
// reason names the plugin. A call slower than `slow_call` is logged (the host cannot
// pre-empt a synchronous call; the plugin promises O(1) and no blocking). Log lines about
// one plugin's failures, and about its slow calls, are throttled to one a second each, with
// a count of those left out.
//
// Cost: O(number of admission plugins) per query, no allocation unless a request is denied
// (the reason buffer lent to plugins is one per thread, made once).
//
// Thread-safety: check(), tick() and replace() may be called from any thread, concurrently
// (the ABI asks admission plugins to be thread-safe). Lifetime: keeps its instances alive;
// a call holds its instance until it returns, so an instance replaced by a reload is
// destroyed once its in-flight calls have drained. The LogSink must outlive the chain.
#pragma once

#include <keepdb/plugin.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/plugin_host/plugin_instance.h"
#include "util/latency_histogram.h"

namespace keepdb::plugin_host {

// One question to the gate, in host types; the chain builds the C structs on its stack.
struct AdmissionQuery {
  std::uint32_t event = KDB_ADM_COMMAND;  // KDB_ADM_*
  std::uint64_t conn_id = 0;
  std::string_view peer_addr;  // IP address text, without the port
  std::uint16_t peer_port = 0;
  std::uint16_t local_port = 0;
  std::string_view principal;  // empty before authentication
  std::string_view command;    // KDB_ADM_COMMAND only: the command's name
  std::uint64_t request_bytes = 0;
};

// The capacity of the reason buffer lent to `check` (ABI 1.3): one short line.
inline constexpr std::size_t kMaxAdmissionReason = 160;

struct AdmissionVerdict {
  bool admitted = true;
  std::uint32_t retry_after_ms = 0;  // the denying plugin's hint; 0: none
  // The denying plugin's one-line reason (ABI 1.3), control bytes replaced; empty: none.
  std::string reason;
  // Set when a plugin failed rather than denied: one line naming it, never a secret.
  std::string failure;
};

class AdmissionChain {
 public:
  // Every instance must declare KDB_KIND_ADMISSION.
  AdmissionChain(std::vector<std::shared_ptr<const PluginInstance>> plugins, LogSink& log,
                 std::chrono::microseconds slow_call = std::chrono::milliseconds(5));
  ~AdmissionChain();
  AdmissionChain(const AdmissionChain&) = delete;
  AdmissionChain& operator=(const AdmissionChain&) = delete;

  bool empty() const { return plugins_.empty(); }
  AdmissionVerdict check(const AdmissionQuery& query) const;
  // How long each plugin's check took (one observation per plugin asked).
  const util::LatencyHistogram& latency() const { return latency_; }
  // Passes the host's monotonic clock to every plugin's tick (contained like check).
  void tick(std::uint64_t monotonic_ns) const;
  // A reload: puts `instance` in service in place of the plugin with its name and returns
  // the one it replaces (null when none has that name, and nothing changes).
  std::shared_ptr<const PluginInstance> replace(std::shared_ptr<const PluginInstance> instance);

 private:
  struct Plugin;
  struct Throttle;
  // Logs `line` unless `throttle` let one through in the last second.
  void log_throttled(Throttle& throttle, LogLevel level, const std::string& line) const;

  std::vector<std::unique_ptr<Plugin>> plugins_;
  LogSink& log_;
  std::chrono::microseconds slow_call_;
  mutable util::LatencyHistogram latency_;
};

}  // namespace keepdb::plugin_host
