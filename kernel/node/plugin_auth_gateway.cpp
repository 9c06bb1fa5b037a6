// Bridges AUTH / HELLO AUTH to the plugin authenticator chain.
#include "kernel/node/plugin_auth_gateway.h"

#include <boost/asio/post.hpp>
#include <charconv>

#include "kernel/log/log.h"

namespace keepdb::node {
namespace {

// Splits "ip:port" (the session's address text) into its parts.
std::pair<std::string, std::uint16_t> split_address(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return {std::string(address), 0};
  std::uint16_t port = 0;
  std::from_chars(address.data() + colon + 1, address.data() + address.size(), port);
  return {std::string(address.substr(0, colon)), port};
}

}  // namespace

void PluginAuthGateway::verify(const commands::Session& session, std::string username,
                               kdb::sdk::SecretBytes secret,
                               std::function<void(commands::AuthResult)> done) {
  plugin_host::AuthRequest request;
  request.username = std::move(username);
  request.secret = std::move(secret);
  request.conn_id = session.id;
  std::tie(request.peer_addr, request.peer_port) = split_address(session.peer_address);
  request.local_port = split_address(session.local_address).second;
  const std::string client =
      "client id=" + std::to_string(session.id) + " addr=" + session.peer_address;
  chain_.authenticate(std::move(request), [this, client, done = std::move(done)](
                                              plugin_host::AuthOutcome outcome) mutable {
    commands::AuthResult result;
    if (outcome.verdict == plugin_host::AuthOutcome::Verdict::kAccepted) {
      result.accepted = true;
      result.principal = outcome.principal.name;
      result.roles = outcome.principal.roles;
      log::info("authenticated ", client, " as principal=", outcome.principal.name, " by ",
                outcome.principal.authenticator);
    } else {
      log::warn("authentication failed for ", client, ": ", outcome.reason);
    }
    boost::asio::post(network_,
                      [done = std::move(done), result = std::move(result)] { done(result); });
  });
}

}  // namespace keepdb::node
