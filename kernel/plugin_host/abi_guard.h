// Containment at the ABI boundary: every call into plugin code goes through these helpers,
// so a plugin that throws, returns a status the host does not know, or reports writing
// more than the buffer it was given makes only that call fail.
//
// Thread-safety: HostBuffer is used by one call on one thread; the free functions are
// stateless.
#pragma once

#include <keepdb/plugin.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keepdb::plugin_host {

// Longest error message or principal name accepted from a plugin.
inline constexpr std::size_t kMaxPluginMessage = 1024;
inline constexpr std::size_t kMaxPrincipalName = 256;

// Memory for a kdb_outbuf handed to a plugin. outbuf() makes a fresh, empty kdb_outbuf
// over it; after the call, read() returns what the plugin wrote, or nullopt when the
// plugin broke the contract (len > cap, or it moved ptr or cap).
class HostBuffer {
 public:
  explicit HostBuffer(std::size_t capacity) : storage_(capacity) {}
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;

  kdb_outbuf outbuf() { return kdb_outbuf{storage_.data(), storage_.size(), 0}; }
  std::optional<std::string_view> read(const kdb_outbuf& after_call) const;

 private:
  std::vector<char> storage_;
};

// True for the statuses defined in ABI 1.0.
bool is_known_status(kdb_status status);
// "KDB_E_DENIED", or "unknown status 42".
std::string status_name(kdb_status status);

// Plugin text made safe for one log line: control bytes become '?', and it is cut at
// kMaxPluginMessage bytes.
std::string printable(std::string_view text);

// Runs a call into plugin code; an exception escaping it becomes KDB_E_INTERNAL with
// `failure` set to "threw an exception through the ABI". Never throws.
template <typename Call>
kdb_status call_guarded(Call&& call, std::string& failure) noexcept {
  try {
    return call();
  } catch (...) {
    failure = "threw an exception through the ABI";
    return KDB_E_INTERNAL;
  }
}

}  // namespace keepdb::plugin_host
