// Encodes replies in RESP2 or RESP3 onto the end of a byte string, byte-compatible with
// what Redis 7 sends for the same reply.
//
// Thread-safety: none. Lifetime: the writer appends to `out`, which must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kernel/resp/protocol.h"

namespace keepdb::resp {

class ReplyWriter {
 public:
  ReplyWriter(std::string& out, Protocol protocol) : out_(out), protocol_(protocol) {}

  Protocol protocol() const { return protocol_; }

  // CR/LF inside `text` become spaces (as in Redis's addReplyErrorFormat).
  void simple(std::string_view text);    // +text\r\n
  // -text\r\n; text starts with a code: "ERR ...". Bytes outside printable ASCII other
  // than CR/LF are written \xNN (log/escape.h): an error may quote a client's bytes.
  void error(std::string_view text);
  void integer(std::int64_t value);      // :value\r\n
  void bulk(std::string_view bytes);     // $len\r\nbytes\r\n
  void null();                           // RESP2 $-1\r\n, RESP3 _\r\n
  void null_array();                     // RESP2 *-1\r\n, RESP3 _\r\n
  // Replies already encoded in this writer's protocol, appended as they are.
  void raw(std::string_view encoded) { out_.append(encoded); }
  void array(std::size_t n);             // *n\r\n, then n elements
  void map(std::size_t n_pairs);         // RESP3 %n\r\n; RESP2 *2n\r\n; then 2n elements
  void set(std::size_t n);               // RESP3 ~n\r\n; RESP2 *n\r\n
  void boolean(bool value);              // RESP3 #t/#f; RESP2 :1/:0
  void dbl(double value);                // %.17g, inf, -inf, nan: RESP3 ,value; RESP2 bulk
  void verbatim(std::string_view text);  // RESP3 =len\r\ntxt:text; RESP2 bulk string

  std::string& buffer() { return out_; }

 private:
  std::string& out_;
  Protocol protocol_;
};

}  // namespace keepdb::resp
