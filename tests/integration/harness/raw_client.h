// A raw TCP client for byte-level tests: sends exactly the bytes given, reads whole RESP
// replies (or raw bytes) with a timeout, and notices when the server closes the
// connection. Nothing is interpreted beyond RESP framing. Optionally over TLS (OpenSSL, the
// server verified against a CA file): the same bytes, inside TLS records.
//
// Thread-safety: none; one thread per client. Lifetime: RAII owner of the socket.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/resp_reader.h"

namespace keepdb::integration {

class RawClient {
 public:
  struct Options {
    int receive_buffer_bytes = 0;  // SO_RCVBUF before connecting; 0 keeps the default
    // Non-empty: a TLS client that verifies the server's certificate (for 127.0.0.1)
    // against this CA file; the handshake completes in the constructor.
    std::string tls_ca_file{};
  };

  // Connects to 127.0.0.1:port (and completes the TLS handshake); throws
  // std::runtime_error on failure.
  explicit RawClient(std::uint16_t port) : RawClient(port, Options{}) {}
  RawClient(std::uint16_t port, Options options);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends every byte; false if the server has closed or reset the connection (sends
  // block at most 10 s, then also report false).
  bool send(std::string_view bytes);
  // Sends a command as a RESP multibulk request and returns its reply.
  RespValue command(const std::vector<std::string>& args, milliseconds timeout = kReplyTimeout);

  // Sends all commands in one write, then reads one reply per command, in order.
  std::vector<RespValue> pipeline(const std::vector<std::vector<std::string>>& commands,
                                  milliseconds timeout = kReplyTimeout);

  // The next whole reply, as raw bytes / decoded. Throws std::runtime_error if none arrives
  // in time or the connection closes first.
  std::string read_reply_bytes(milliseconds timeout = kReplyTimeout);
  RespValue read_reply(milliseconds timeout = kReplyTimeout);
  // The next `count` bytes, whatever they are (a binary protocol). Throws
  // std::runtime_error if they do not all arrive in time or the connection closes first.
  std::string read_bytes(std::size_t count, milliseconds timeout = kReplyTimeout);

  // Reads (keeping the bytes in buffered()) until the server closes the connection;
  // true if it did within the timeout.
  bool wait_closed(milliseconds timeout = kReplyTimeout);
  bool closed() const { return closed_; }
  // Closed in order: end of stream, after the server's close_notify over TLS; not a reset.
  bool closed_cleanly() const { return closed_cleanly_; }
  // Ends the client's side of the stream (TLS: close_notify; then a TCP FIN) and keeps
  // reading what the server still sends.
  void end_writing();
  // Bytes received and not yet returned as a reply.
  const std::string& buffered() const { return buffer_; }

 private:
  // Waits up to `timeout` for bytes and appends them; false on timeout or close.
  bool receive(milliseconds timeout);
  // The TLS handshake on the connected socket; throws std::runtime_error on failure.
  void start_tls(const std::string& ca_file);

  struct Tls;  // the OpenSSL context and session of a TLS client
  struct TlsDeleter {
    void operator()(Tls* tls) const;
  };

  int fd_ = -1;
  std::unique_ptr<Tls, TlsDeleter> tls_;  // null: plain TCP
  std::string buffer_;
  bool closed_ = false;
  bool closed_cleanly_ = false;
};

}  // namespace keepdb::integration
