// Reload: parse, diff, replace plugins, apply run-time settings; log and audit the outcome.
// CONFIG SET: apply new run-time limits and log them.
#include "kernel/node/config_reloader.h"

#include "kernel/config/reload_diff.h"
#include "kernel/log/log.h"
#include "kernel/node/posture_facts.h"
#include "kernel/plugin_host/plugin_error.h"

namespace keepdb::node {
namespace {

// How often replaced plugin instances are checked for calls still in flight.
constexpr auto kDrainPoll = std::chrono::milliseconds(20);

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// Why the posture check refuses `next` (as `keepd run` would refuse it), or nothing.
std::optional<std::string> posture_refusal(const config::Config& next) {
  try {
    const PostureReport posture = check_posture(next);
    if (posture.refusals.empty()) return std::nullopt;
    std::string why = "posture check: " + posture.refusals.front();
    if (posture.refusals.size() > 1) {
      why += " (and " + std::to_string(posture.refusals.size() - 1) +
             " more: keepd config check lists them)";
    }
    return why;
  } catch (const std::exception& error) {  // a plugin library that cannot be opened
    return std::string("posture check: ") + error.what();
  }
}

}  // namespace

std::optional<std::string> ConfigReloader::reload(const commands::ReloadOrigin& origin) {
  config::Config next;
  try {
    next = config::load_file(running_.source);
  } catch (const std::exception& error) {  // ConfigError, or the file cannot be read
    return report(origin, std::string("configuration error: ") + error.what(), {});
  }
  if (const auto restart = config::restart_required(running_, next); !restart.empty()) {
    return report(origin, "restart required: " + joined(restart) + " changed", {});
  }
  if (const auto refusal = posture_refusal(next)) return report(origin, *refusal, {});
  std::vector<std::string> replaced;
  try {
    replaced = plugins_.reload(next.plugins, log_, seams_);
  } catch (const plugin_host::PluginError& error) {
    return report(origin, error.what(), {});
  }
  const bool limits_changed = !(running_.limits == next.limits);
  config::apply_runtime(running_, next);
  destroy_drained();
  std::string applied = replaced.empty() ? "no plugin changed" : "new instances of " + joined(replaced);
  if (limits_changed) applied += "; limits changed";
  return report(origin, std::nullopt, applied);
}

void ConfigReloader::set_limits(const config::Limits& limits, const std::string& change,
                                const commands::ReloadOrigin& origin) {
  config::Config next = running_;
  next.limits = limits;
  config::apply_runtime(running_, next);
  log::info(origin.trigger, " from ", origin.peer_addr, " (", origin.principal, "): ", change,
            " until the next reload or restart");
}

void ConfigReloader::destroy_drained() {
  if (plugins_.destroy_drained() == 0) return;
  drain_timer_.expires_after(kDrainPoll);
  drain_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) destroy_drained();
  });
}

std::optional<std::string> ConfigReloader::report(const commands::ReloadOrigin& origin,
                                                  const std::optional<std::string>& failure,
                                                  const std::string& applied) {
  const std::string who =
      origin.trigger + (origin.conn_id == 0 ? std::string()
                                            : " from " + origin.peer_addr + " (" +
                                                  origin.principal + ")");
  if (failure) {
    log::error("configuration reload (", who, ") of ", running_.source.string(),
               " failed, the running configuration is kept: ", *failure);
  } else {
    log::info("configuration reloaded (", who, ") from ", running_.source.string(), ": ",
              applied);
  }
  if (audit_ != nullptr) {
    audit_->record({commands::AuditKind::kConfigReload, origin.conn_id, origin.peer_addr,
                    origin.principal, std::string(commands::audit_kind_name(
                                          commands::AuditKind::kConfigReload)),
                    failure ? "failed" : "ok", failure ? *failure : applied});
  }
  if (!failure) return std::nullopt;
  return "ERR reload failed: " + *failure + "; the running configuration is kept";
}

}  // namespace keepdb::node
