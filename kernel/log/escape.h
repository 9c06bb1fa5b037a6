// Bytes from outside (a client's request, a peer's text) made safe to show in a log line or
// an error reply: escaping to printable ASCII, and truncation with a marker.
//
// Thread-safety: stateless free functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keepdb::log {

// How many bytes of client input a log line or an error reply quotes at most.
inline constexpr std::size_t kMaxQuotedBytes = 128;

// Whether '\' is escaped too: in log lines it is, so an escape in the output always stands
// for one byte of input; error replies keep it, as Redis does.
enum class Backslash { kEscape, kKeep };

// Appends `bytes` to `out`, every byte outside printable ASCII (0x20-0x7e) written as \xNN
// (lowercase hex): control bytes, DEL and anything that is not ASCII, valid UTF-8 or not.
void append_escaped(std::string& out, std::string_view bytes, Backslash backslash);

// The first `max_bytes` of `bytes`, followed by "...(N more bytes)" when there were more.
// Not escaped: log::write() escapes, ReplyWriter::error() escapes.
std::string truncated(std::string_view bytes, std::size_t max_bytes = kMaxQuotedBytes);

}  // namespace keepdb::log
