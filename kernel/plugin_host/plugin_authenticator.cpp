// One authentication through the C ABI, synchronous or KDB_PENDING.
#include "kernel/plugin_host/plugin_authenticator.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

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

// What the plugin reported, whichever way it arrived. A non-empty *_breach says how the
// plugin broke the contract of that buffer; the text is then not used.
struct Reported {
  kdb_status status;
  std::string_view name;
  std::string name_breach;
  std::uint32_t roles;
  std::uint64_t expires_unix_s;
  std::string_view error;
  std::string error_breach;
  bool asynchronous;
};

// "moved the principal name buffer's ptr or cap", "set len past the error buffer's cap
// (1024 bytes)": one lent buffer's breach, for the log.
std::string describe_breach(BufferBreach breach, std::string_view buffer, std::size_t cap) {
  switch (breach) {
    case BufferBreach::kNone:
      return {};
    case BufferBreach::kMoved:
      return "moved the " + std::string(buffer) + " buffer's ptr or cap";
    case BufferBreach::kLenPastCap:
      return "set len past the " + std::string(buffer) + " buffer's cap (" + std::to_string(cap) +
             " bytes)";
    case BufferBreach::kWrotePastCap:
      return "wrote past the end of the " + std::string(buffer) + " buffer (" +
             std::to_string(cap) + " bytes)";
  }
  return {};
}

AuthStep interpret(const PluginInstance& plugin, const Reported& r) {
  if (!is_known_status(r.status)) return failed(plugin, "returned " + status_name(r.status));
  if (!r.error_breach.empty()) return failed(plugin, r.error_breach);
  const std::string message = r.error.empty() ? std::string() : ": " + printable(r.error);
  switch (r.status) {
    case KDB_OK: {
      if (!r.name_breach.empty()) return failed(plugin, r.name_breach);
      if (r.name.size() > kMaxPrincipalName) {
        return failed(plugin, "reported a principal name longer than " +
                                  std::to_string(kMaxPrincipalName) + " bytes");
      }
      if (has_control_bytes(r.name)) {
        return failed(plugin, "reported a principal name with control characters");
      }
      if ((r.roles & ~kAllRoles) != 0) return failed(plugin, "reported unknown role bits");
      Principal principal{r.name.empty() ? plugin.name() : std::string(r.name), r.roles,
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

// What the plugin reported through host->auth_complete (no buffer was lent for it).
Reported reported_later(const PluginAuthResult& result) {
  return Reported{result.status,         result.principal, {}, result.roles,
                  result.expires_unix_s, result.error,     {}, true};
}

// kdb_conn_info.peer over the identity the transport verified, borrowed for one call.
class PeerView {
 public:
  explicit PeerView(const util::PeerIdentity* identity) : identity_(identity) {
    if (identity_ == nullptr) return;
    for (const auto& name : identity_->dns_sans) dns_.push_back(to_str(name));
    for (const auto& name : identity_->uri_sans) uri_.push_back(to_str(name));
    abi_.struct_size = sizeof(kdb_peer_identity);
    abi_.verified = identity_->verified ? 1 : 0;
    abi_.subject_dn = to_str(identity_->subject_dn);
    abi_.common_name = to_str(identity_->common_name);
    abi_.dns_sans = dns_.data();
    abi_.n_dns_sans = dns_.size();
    abi_.uri_sans = uri_.data();
    abi_.n_uri_sans = uri_.size();
    std::copy(identity_->sha256.begin(), identity_->sha256.end(), abi_.sha256);
    abi_.tls_version = to_str(identity_->tls_version);
    abi_.cipher = to_str(identity_->cipher);
  }
  const kdb_peer_identity* get() const { return identity_ != nullptr ? &abi_ : nullptr; }

 private:
  const util::PeerIdentity* identity_;
  std::vector<kdb_str> dns_;
  std::vector<kdb_str> uri_;
  kdb_peer_identity abi_{};
};

}  // namespace

PluginAuthenticator::PluginAuthenticator(std::shared_ptr<const PluginInstance> instance)
    : instance_(std::move(instance)) {}

void PluginAuthenticator::authenticate(const AuthRequest& request, std::uint64_t ticket,
                                       AuthStepDone done) {
  if (instance_->disabled()) {
    done(failed(*instance_, "is disabled: it wrote past the end of a host buffer earlier"));
    return;
  }
  // Registered first: an asynchronous plugin may complete before it even returns.
  // `completed` tells the call's return whether the plugin answered through auth_complete.
  // A closed ticket means the attempt ended (its deadline passed while this call was
  // queued): nobody waits for an answer, so the plugin is not asked.
  const auto completed = std::make_shared<std::atomic<bool>>(false);
  const bool open =
      pending_auths().expect(ticket, [instance = instance_, done, completed](const auto& result) {
        completed->store(true);
        done(interpret(*instance, reported_later(result)));
      });
  if (!open) return;

  const PeerView peer(request.peer.get());
  const kdb_conn_info conn{sizeof(kdb_conn_info), request.conn_id,    to_str(request.peer_addr),
                           request.peer_port,     request.local_port, peer.get(), 0, {}};
  const kdb_auth_request abi_request{
      sizeof(kdb_auth_request),
      &conn,
      to_str(request.mechanism),
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
  const BufferBreach name_breach = name_buffer.inspect(principal.name);
  const BufferBreach error_breach = error_buffer.inspect(error);
  const std::string overrun =
      name_breach == BufferBreach::kWrotePastCap
          ? describe_breach(name_breach, "principal name", kMaxPrincipalName)
      : error_breach == BufferBreach::kWrotePastCap
          ? describe_breach(error_breach, "error", kMaxPluginMessage)
          : std::string();
  if (!overrun.empty()) {
    // The heap around the buffer may be damaged: stop calling this plugin at all.
    instance_->disable();
    instance_->log().write(LogLevel::kError,
                           instance_->label() + " " + overrun +
                               "; plugin disabled, every later authentication through it fails; "
                               "restart keepd with a fixed plugin");
  }
  if (status == KDB_PENDING && failure.empty() && overrun.empty()) return;

  if (!pending_auths().take(ticket)) {
    if (completed->load()) {
      instance_->log().write(LogLevel::kError, instance_->label() + " completed ticket " +
                                                   std::to_string(ticket) +
                                                   " through auth_complete and also returned " +
                                                   status_name(status) + "; the completion stands");
    } else {
      instance_->log().write(LogLevel::kWarn, instance_->label() + " returned " +
                                                  status_name(status) + " for ticket " +
                                                  std::to_string(ticket) +
                                                  " after the attempt had ended (deadline); "
                                                  "the answer is ignored");
    }
    return;
  }
  if (!overrun.empty()) {
    done(failed(*instance_, overrun + "; plugin disabled"));
    return;
  }
  if (!failure.empty()) {
    done(failed(*instance_, std::move(failure)));
    return;
  }
  Reported now{status,
               {},
               describe_breach(name_breach, "principal name", kMaxPrincipalName),
               principal.roles,
               principal.expires_unix_s,
               {},
               describe_breach(error_breach, "error", kMaxPluginMessage),
               false};
  if (now.name_breach.empty()) now.name = *name_buffer.read(principal.name);
  if (now.error_breach.empty()) now.error = *error_buffer.read(error);
  done(interpret(*instance_, now));
}

}  // namespace keepdb::plugin_host
