// BoundClient: a RESP client whose socket is bound to a chosen loopback source address
// (127.0.0.N) before it connects to keepd on 127.0.0.1, so one test can be many clients
// from many addresses. The shared RawClient always uses the kernel's choice of source.
//
// Thread-safety: none; one thread per client. Lifetime: RAII owner of the socket.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/resp_reader.h"

namespace keepdb::integration::ratelimit {

class BoundClient {
 public:
  // Binds to `source` (an IPv4 address in 127.0.0.0/8) and connects to 127.0.0.1:port;
  // throws std::runtime_error on failure.
  BoundClient(std::uint16_t port, const std::string& source);
  ~BoundClient();
  BoundClient(const BoundClient&) = delete;
  BoundClient& operator=(const BoundClient&) = delete;

  // Sends one command and returns its reply; throws std::runtime_error when no whole reply
  // arrives within `timeout` or the server closes first.
  RespValue command(const std::vector<std::string>& args, milliseconds timeout = kReplyTimeout);
  // The next reply without sending anything (a refusal written at connect).
  RespValue read_reply(milliseconds timeout = kReplyTimeout);
  // True when the server closes the connection within `timeout`.
  bool wait_closed(milliseconds timeout = kReplyTimeout);

 private:
  // Waits for bytes up to `deadline` and appends them; false on timeout or close.
  bool receive(Clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
  bool closed_ = false;
};

}  // namespace keepdb::integration::ratelimit
