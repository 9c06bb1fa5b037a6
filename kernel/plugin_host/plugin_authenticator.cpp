// One authentication through the C ABI, synchronous or KDB_PENDING.
#include "kernel/plugin_host/plugin_authenticator.h"

#include <optional>
#include <string_view>

#include "kernel/plugin_host/abi_guard.h"
#include "kernel/plugin_host/pending_auth.h"

namespace keepdb::plugin_host {
namespace {

kdb_str to_str(std::string_view text) {
  return kdb_str{text.data(), text.size()};
}

AuthStep failed(const PluginInstance& plugin, std::string why) {
  return AuthStep{AuthStep::Decision::kFail, {}, plugin.label() + " " + std::move(why)};
}

bool has_control_bytes(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// What the plugin reported, whichever way it arrived. A nullopt name or error means the
// plugin reported a length past its buffer.
struct Reported {
  kdb_status status;
  std::optional<std::string_view> name;
  std::uint32_t roles;
  std::uint64_t expires_unix_s;
  std::optional<std::string_view> error;
  bool asynchronous;
};

AuthStep interpret(const PluginInstance& plugin, const Reported& r) {
  if (!is_known_status(r.status)) return failed(plugin, "returned " + status_name(r.status));
  if (!r.error) return failed(plugin, "reported an error message longer than its buffer");
  const std::string message = r.error->empty() ? std::string() : ": " + printable(*r.error);
  switch (r.status) {
    case KDB_OK: {
      if (!r.name || r.name->size() > kMaxPrincipalName) {
        return failed(plugin, "reported a principal name longer than its buffer");
      }
      if (has_control_bytes(*r.name)) {
        return failed(plugin, "reported a principal name with control characters");
      }
      if ((r.roles & ~kAllRoles) != 0) return failed(plugin, "reported unknown role bits");
      Principal principal{r.name->empty() ? plugin.name() : std::string(*r.name), r.roles,
                          r.expires_unix_s, plugin.name()};
      return AuthStep{AuthStep::Decision::kAccept, std::move(principal),
                      plugin.label() + " accepted"};
    }
    case KDB_E_DENIED:
      return AuthStep{AuthStep::Decision::kReject, {}, plugin.label() + " rejected" + message};
    case KDB_DEFER:
      return AuthStep{AuthStep::Decision::kDefer, {}, plugin.label() + " deferred" + message};
    case KDB_PENDING:
      if (r.asynchronous) return failed(plugin, "completed a ticket with KDB_PENDING");
      [[fallthrough]];
    default:
      return failed(plugin, "failed with " + status_name(r.status) + message);
  }
}

}  // namespace

PluginAuthenticator::PluginAuthenticator(std::shared_ptr<const PluginInstance> instance)
    : instance_(std::move(instance)) {}

void PluginAuthenticator::authenticate(const AuthRequest& request, std::uint64_t ticket,
                                       AuthStepDone done) {
  // Registered first: an asynchronous plugin may complete before it even returns.
  pending_auths().expect(ticket, [instance = instance_, done](const PluginAuthResult& result) {
    done(interpret(*instance, Reported{result.status, result.principal, result.roles,
                                       result.expires_unix_s, result.error, true}));
  });

  const kdb_conn_info conn{sizeof(kdb_conn_info), request.conn_id,    to_str(request.peer_addr),
                           request.peer_port,     request.local_port, nullptr};
  const kdb_auth_request abi_request{
      sizeof(kdb_auth_request),
      &conn,
      to_str("password"),
      to_str(request.username),
      kdb_bytes{reinterpret_cast<const std::uint8_t*>(request.secret.data()),
                request.secret.size()},
      ticket};
  HostBuffer name_buffer(kMaxPrincipalName);
  HostBuffer error_buffer(kMaxPluginMessage);
  kdb_principal principal{sizeof(kdb_principal), name_buffer.outbuf(), 0, 0};
  kdb_outbuf error = error_buffer.outbuf();

  const kdb_authenticator_v1& table = *instance_->descriptor().authenticator;
  std::string failure;
  const kdb_status status = call_guarded(
      [&] { return table.authenticate(instance_->handle(), &abi_request, &principal, &error); },
      failure);
  if (status == KDB_PENDING && failure.empty()) return;

  if (!pending_auths().take(ticket)) {
    instance_->log().write(LogLevel::kError, instance_->label() + " completed ticket " +
                                                 std::to_string(ticket) + " and also returned " +
                                                 status_name(status) + "; the completion stands");
    return;
  }
  if (!failure.empty()) {
    done(failed(*instance_, std::move(failure)));
    return;
  }
  done(interpret(*instance_, Reported{status, name_buffer.read(principal.name), principal.roles,
                                      principal.expires_unix_s, error_buffer.read(error), false}));
}

}  // namespace keepdb::plugin_host
