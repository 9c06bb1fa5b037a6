// How AUTH and HELLO ... AUTH reach the configured authenticators without the command
// layer knowing about plugins. The node implements it over the plugin host's chain.
//
// Thread-safety: verify() is called on the network thread and `done` must run later on
// the network thread. Lifetime: the gateway outlives every connection.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "kernel/commands/session.h"
#include <keepdb/secret_bytes.hpp>

namespace keepdb::commands {

struct AuthResult {
  bool accepted = false;
  std::string principal;    // set when accepted
  std::uint32_t roles = 0;  // Role bits, set when accepted
  std::uint64_t expires_unix_s = 0;  // when the principal stops being valid; 0: never
};

class AuthGateway {
 public:
  virtual ~AuthGateway() = default;
  // Checks `username` (empty for the one-argument AUTH) and `secret` for `session`. The
  // secret travels in wiped memory from the request to the authenticators.
  virtual void verify(const Session& session, std::string username, kdb::sdk::SecretBytes secret,
                      std::function<void(AuthResult)> done) = 0;
  // Asks the authenticators about the peer identity the session's transport verified
  // (session.peer_identity), with no secret: a client certificate as credentials.
  virtual void verify_peer(const Session& session, std::function<void(AuthResult)> done) = 0;
};

}  // namespace keepdb::commands
