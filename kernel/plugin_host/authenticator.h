// The interface the auth chain drives: one authenticator, asked about one request. The
// plugin adapter (plugin_authenticator.h) implements it over the C ABI; tests implement
// it with fakes.
//
// Thread-safety: authenticate() is called concurrently from the chain's worker threads.
// Lifetime: the chain holds authenticators by shared_ptr.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kernel/plugin_host/principal.h"
#include "util/transport_session.h"
#include <keepdb/secret_bytes.hpp>

namespace keepdb::plugin_host {

// What the client presented, as the connection layer saw it.
struct AuthRequest {
  // "password" (AUTH, HELLO AUTH) or "certificate" (the transport verified the peer, and no
  // secret was sent: kdb_auth_request.mechanism).
  std::string mechanism = "password";
  std::string username;      // empty for `AUTH <secret>`
  kdb::sdk::SecretBytes secret;  // never logged; wiped when the attempt ends and frees it
  std::uint64_t conn_id = 0;
  std::string peer_addr;
  std::uint16_t peer_port = 0;
  std::uint16_t local_port = 0;
  // The peer the listener's transport verified; null on a plain listener.
  std::shared_ptr<const util::PeerIdentity> peer;
};

// One authenticator's answer.
struct AuthStep {
  enum class Decision {
    kAccept,  // principal is set; ends the chain
    kReject,  // a definite no; ends the chain
    kDefer,   // not mine; ask the next authenticator
    kFail,    // the authenticator broke or failed; ends the chain as a rejection
  };
  Decision decision = Decision::kFail;
  Principal principal;
  std::string reason;  // for the log; never a secret
};

using AuthStepDone = std::function<void(AuthStep)>;

class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // The [[plugin]] name, for logs and Principal::authenticator.
  virtual const std::string& name() const = 0;

  // Calls `done` exactly once: before returning, or later from any thread. `request`
  // stays valid until `done` runs. `ticket` is unique in the process, identifies this call
  // to host->auth_complete, and is open in pending_auths() until the attempt ends: an
  // authenticator that may answer later registers there first, and when expect() refuses
  // (the attempt already ended) it need not call `done` at all.
  virtual void authenticate(const AuthRequest& request, std::uint64_t ticket,
                            AuthStepDone done) = 0;
};

}  // namespace keepdb::plugin_host
