// Host-side checks of what plugin code hands back.
#include "kernel/plugin_host/abi_guard.h"

namespace keepdb::plugin_host {

namespace {

// The guard pattern: varies by position, so a plugin filling memory with one byte value
// (or copying a run of the same text) changes it.
char guard_byte(std::size_t index) {
  return static_cast<char>(0xa5 ^ (index * 0x3b));
}

}  // namespace

std::string_view breach_text(BufferBreach breach) {
  switch (breach) {
    case BufferBreach::kNone:
      return {};
    case BufferBreach::kMoved:
      return "moved the buffer's ptr or cap";
    case BufferBreach::kLenPastCap:
      return "set len past the buffer's cap";
    case BufferBreach::kWrotePastCap:
      return "wrote past the end of the buffer";
  }
  return {};
}

HostBuffer::HostBuffer(std::size_t capacity)
    : capacity_(capacity), storage_(capacity + kGuardBytes) {
  for (std::size_t i = 0; i < kGuardBytes; ++i) storage_[capacity_ + i] = guard_byte(i);
}

BufferBreach HostBuffer::inspect(const kdb_outbuf& after_call) const {
  for (std::size_t i = 0; i < kGuardBytes; ++i) {
    if (storage_[capacity_ + i] != guard_byte(i)) return BufferBreach::kWrotePastCap;
  }
  if (after_call.ptr != storage_.data() || after_call.cap != capacity_) {
    return BufferBreach::kMoved;
  }
  if (after_call.len > capacity_) return BufferBreach::kLenPastCap;
  return BufferBreach::kNone;
}

std::optional<std::string_view> HostBuffer::read(const kdb_outbuf& after_call) const {
  if (inspect(after_call) != BufferBreach::kNone) return std::nullopt;
  return std::string_view(storage_.data(), after_call.len);
}

bool is_known_status(kdb_status status) {
  return status >= KDB_E_INTERNAL && status <= KDB_PENDING;
}

std::string status_name(kdb_status status) {
  switch (status) {
    case KDB_OK:
      return "KDB_OK";
    case KDB_DEFER:
      return "KDB_DEFER";
    case KDB_PENDING:
      return "KDB_PENDING";
    case KDB_E_DENIED:
      return "KDB_E_DENIED";
    case KDB_E_INVALID:
      return "KDB_E_INVALID";
    case KDB_E_NOMEM:
      return "KDB_E_NOMEM";
    case KDB_E_BUFSIZE:
      return "KDB_E_BUFSIZE";
    case KDB_E_UNSUPPORTED:
      return "KDB_E_UNSUPPORTED";
    case KDB_E_TLS:
      return "KDB_E_TLS";
    case KDB_E_INTERNAL:
      return "KDB_E_INTERNAL";
    default:
      return "unknown status " + std::to_string(status);
  }
}

std::string printable(std::string_view text) {
  std::string line(text.substr(0, kMaxPluginMessage));
  for (char& c : line) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = '?';
  }
  return line;
}

}  // namespace keepdb::plugin_host
