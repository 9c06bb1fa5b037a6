// Containment at the ABI boundary: every call into plugin code goes through these helpers,
// so a plugin that throws, returns a status the host does not know, or reports writing
// more than the buffer it was given makes only that call fail, and a plugin that writes
// past the end of a lent buffer (guard bytes) is detected after the call.
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

// Longest error message or principal name accepted from a plugin: the capacities of the
// buffers lent for them (docs/plugin-authoring.md, "Numbers").
inline constexpr std::size_t kMaxPluginMessage = 1024;
inline constexpr std::size_t kMaxPrincipalName = 256;

// Guard bytes placed after every buffer lent to a plugin. A write past `cap` that changes
// one of them is detected after the call; a write that goes beyond them reaches other
// memory first and is not contained.
inline constexpr std::size_t kGuardBytes = 64;

// How a plugin used a buffer it was lent, as seen after the call.
enum class BufferBreach {
  kNone,          // len <= cap, ptr and cap untouched, guard bytes intact
  kMoved,         // the plugin changed ptr or cap
  kLenPastCap,    // the plugin set len above cap (and wrote nothing past cap)
  kWrotePastCap,  // the plugin overwrote guard bytes after the buffer: memory corruption
};

// "moved the buffer's ptr or cap", "set len past the buffer's cap", "wrote past the end
// of the buffer"; empty for kNone.
std::string_view breach_text(BufferBreach breach);

// Memory for a kdb_outbuf handed to a plugin: `capacity` bytes followed by kGuardBytes of
// a known pattern. outbuf() makes a fresh, empty kdb_outbuf over the first `capacity`
// bytes; after the call, inspect() says whether the plugin kept the contract, and read()
// returns what it wrote when it did.
class HostBuffer {
 public:
  explicit HostBuffer(std::size_t capacity);
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;

  std::size_t capacity() const { return capacity_; }
  kdb_outbuf outbuf() { return kdb_outbuf{storage_.data(), capacity_, 0}; }
  // A write past the end outranks every other breach: it is checked first.
  BufferBreach inspect(const kdb_outbuf& after_call) const;
  // The bytes written; nullopt unless inspect() is kNone.
  std::optional<std::string_view> read(const kdb_outbuf& after_call) const;

 private:
  std::size_t capacity_;
  std::vector<char> storage_;  // capacity_ bytes, then the guard
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
