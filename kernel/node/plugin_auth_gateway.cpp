// Bridges AUTH / HELLO AUTH to the plugin authenticator chain.
#include "kernel/node/plugin_auth_gateway.h"

#include <boost/asio/post.hpp>
#include <charconv>
#include <chrono>
#include <ctime>

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
  authenticate(session, std::move(request), std::move(done));
}

void PluginAuthGateway::verify_peer(const commands::Session& session,
                                    std::function<void(commands::AuthResult)> done) {
  plugin_host::AuthRequest request;
  request.mechanism = "certificate";
  authenticate(session, std::move(request), std::move(done));
}

void PluginAuthGateway::authenticate(const commands::Session& session,
                                     plugin_host::AuthRequest request,
                                     std::function<void(commands::AuthResult)> done) {
  request.conn_id = session.id;
  std::tie(request.peer_addr, request.peer_port) = split_address(session.peer_address);
  request.local_port = split_address(session.local_address).second;
  request.peer = session.peer_identity;
  // What the outcome needs of the session, copied: the session may be gone by then.
  net::AdmissionRequest notice;
  notice.conn_id = session.id;
  notice.peer_port = request.peer_port;
  notice.local_port = request.local_port;
  const std::string peer_ip = request.peer_addr;
  const std::string peer_address = session.peer_address;
  const std::string client = "client id=" + std::to_string(session.id) + " addr=" + peer_address;
  const auto started = std::chrono::steady_clock::now();  // the audit record's duration
  chain_.authenticate(
      std::move(request), [this, notice, peer_ip, peer_address, client, started,
                           done = std::move(done)](plugin_host::AuthOutcome outcome) mutable {
        const auto duration_us = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - started)
                .count());
        commands::AuthResult result;
        std::string reason = outcome.reason;
        const auto now_s = static_cast<std::uint64_t>(std::time(nullptr));
        if (outcome.verdict == plugin_host::AuthOutcome::Verdict::kAccepted &&
            outcome.principal.expired_at(now_s)) {
          reason = outcome.principal.authenticator +
                   " accepted principal=" + outcome.principal.name + ", whose expiry (unix time " +
                   std::to_string(outcome.principal.expires_unix_s) + ") has passed";
        } else if (outcome.verdict == plugin_host::AuthOutcome::Verdict::kAccepted) {
          result.accepted = true;
          result.principal = outcome.principal.name;
          result.roles = outcome.principal.roles;
          result.expires_unix_s = outcome.principal.expires_unix_s;
          log::info("authenticated ", client, " as principal=", outcome.principal.name, " by ",
                    outcome.principal.authenticator);
        }
        if (!result.accepted) log::warn("authentication failed for ", client, ": ", reason);
        boost::asio::post(network_, [this, notice, peer_ip, peer_address, reason, duration_us,
                                     done = std::move(done), result = std::move(result)]() mutable {
          bool banned = false;
          if (seams_.admission != nullptr) {
            notice.event =
                result.accepted ? net::AdmissionEvent::kAuthOk : net::AdmissionEvent::kAuthFail;
            notice.peer_ip = peer_ip;
            notice.principal = result.principal;
            banned = seams_.admission->check(notice).has_value();
          }
          if (stats_ != nullptr) {
            ++(result.accepted ? stats_->auth_ok : stats_->auth_failed);
            if (banned) ++stats_->bans;
          }
          if (seams_.audit != nullptr) {
            seams_.audit->record(
                {result.accepted ? commands::AuditKind::kAuthOk : commands::AuditKind::kAuthFail,
                 notice.conn_id, peer_address, result.principal, "auth",
                 result.accepted ? "ok" : "failed", result.accepted ? std::string() : reason,
                 std::nullopt, duration_us});
          }
          done(result);
        });
      });
}

}  // namespace keepdb::node
