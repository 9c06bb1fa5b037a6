// The command layer's AuthGateway over the plugin host's authenticator chain: turns a
// session and credentials into a chain request, and the chain's verdict into an
// AuthResult delivered on the network thread. Each attempt is logged here, once: an
// acceptance as INFO, a refusal as WARN with the chain's reason (which never contains the
// secret); the chain itself logs no outcome. The outcome is also the one place the seams
// hear about authentication: the admission gate gets KDB_ADM_AUTH_OK / _FAIL (a
// notification: its verdict acts at the next connect or command) and the audit log gets
// auth_ok / auth_fail. A principal whose expiry has already passed is refused here, and a
// later expiry travels in the AuthResult to the session. Outcomes are counted in the
// SecurityStats given to count_in() (auth ok and failed; an outcome the admission gate
// refuses is a ban in force).
//
// Thread-safety: verify() on the network thread; chain callbacks arrive on the chain's
// threads and are posted to `network`. Lifetime: `network` and `chain` must outlive this.
#pragma once

#include <boost/asio/io_context.hpp>

#include "kernel/commands/auth_gateway.h"
#include "kernel/commands/node_context.h"
#include "kernel/net/server.h"
#include "kernel/plugin_host/auth_chain.h"

namespace keepdb::node {

class PluginAuthGateway final : public commands::AuthGateway {
 public:
  PluginAuthGateway(boost::asio::io_context& network, plugin_host::AuthChain& chain,
                    net::Seams seams = {})
      : network_(network), chain_(chain), seams_(seams) {}

  void verify(const commands::Session& session, std::string username, kdb::sdk::SecretBytes secret,
              std::function<void(commands::AuthResult)> done) override;
  void verify_peer(const commands::Session& session,
                   std::function<void(commands::AuthResult)> done) override;
  // Where outcomes are counted from now on (network thread; must outlive this).
  void count_in(commands::SecurityStats& stats) { stats_ = &stats; }

 private:
  // Runs `request` (its connection fields filled here from `session`) through the chain.
  void authenticate(const commands::Session& session, plugin_host::AuthRequest request,
                    std::function<void(commands::AuthResult)> done);

  boost::asio::io_context& network_;
  plugin_host::AuthChain& chain_;
  net::Seams seams_;
  commands::SecurityStats* stats_ = nullptr;
};

}  // namespace keepdb::node
