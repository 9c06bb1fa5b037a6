// Admission queries through the C ABI, first denial wins, failures fail closed.
#include "kernel/plugin_host/admission_chain.h"

#include <optional>

#include "kernel/plugin_host/abi_guard.h"
#include "kernel/plugin_host/live_slot.h"

namespace keepdb::plugin_host {
namespace {

using Clock = std::chrono::steady_clock;

kdb_str to_str(std::string_view text) {
  return kdb_str{text.data(), text.size()};
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

const char* event_name(std::uint32_t event) {
  switch (event) {
    case KDB_ADM_CONNECT:
      return "connect";
    case KDB_ADM_AUTH_OK:
      return "auth ok";
    case KDB_ADM_AUTH_FAIL:
      return "auth fail";
    case KDB_ADM_COMMAND:
      return "command";
    case KDB_ADM_DISCONNECT:
      return "disconnect";
    default:
      return "tick";
  }
}

// The reason buffer this thread lends to `check`; a fresh one after a plugin wrote past it.
HostBuffer& reason_buffer(bool renew) {
  thread_local std::optional<HostBuffer> buffer;
  if (!buffer || renew) buffer.emplace(kMaxAdmissionReason);
  return *buffer;
}

}  // namespace

struct AdmissionChain::Throttle {
  std::atomic<std::int64_t> last_log_ns{0};  // 0: never logged
  std::atomic<std::uint64_t> unlogged{0};    // lines left out since the last one
};

struct AdmissionChain::Plugin {
  explicit Plugin(std::shared_ptr<const PluginInstance> first)
      : name(first->name()), instance(std::move(first)) {}
  const std::string name;
  LiveSlot<const PluginInstance> instance;
  mutable Throttle failures;  // failed checks and ticks
  mutable Throttle slow;      // slow checks
};

AdmissionChain::AdmissionChain(std::vector<std::shared_ptr<const PluginInstance>> plugins,
                               LogSink& log, std::chrono::microseconds slow_call)
    : log_(log), slow_call_(slow_call) {
  for (auto& instance : plugins) plugins_.push_back(std::make_unique<Plugin>(std::move(instance)));
}

AdmissionChain::~AdmissionChain() = default;

void AdmissionChain::log_throttled(Throttle& throttle, LogLevel level,
                                   const std::string& line) const {
  const std::int64_t now = now_ns();
  std::int64_t last = throttle.last_log_ns.load();
  if (last != 0 && now - last < 1'000'000'000) {
    throttle.unlogged.fetch_add(1);
    return;
  }
  if (!throttle.last_log_ns.compare_exchange_strong(last, now)) {
    throttle.unlogged.fetch_add(1);
    return;
  }
  const std::uint64_t left_out = throttle.unlogged.exchange(0);
  log_.write(level, left_out == 0 ? line
                                  : line + " (" + std::to_string(left_out) +
                                        " similar lines in the last second not logged)");
}

AdmissionVerdict AdmissionChain::check(const AdmissionQuery& query) const {
  if (plugins_.empty()) return {};
  const kdb_conn_info conn{sizeof(kdb_conn_info), query.conn_id,    to_str(query.peer_addr),
                           query.peer_port,       query.local_port, nullptr, 0, {}};
  kdb_admission_query abi_query{sizeof(kdb_admission_query),
                                query.event,
                                &conn,
                                to_str(query.principal),
                                to_str(query.command),
                                query.request_bytes,
                                nullptr};
  for (const auto& plugin : plugins_) {
    const std::shared_ptr<const PluginInstance> held = plugin->instance.get();
    const PluginInstance& instance = *held;
    if (instance.disabled()) {
      return {false, 0, {}, instance.label() + " is disabled (it wrote past a host buffer)"};
    }
    std::uint32_t retry_after_ms = 0;
    std::string failure;
    HostBuffer& lent = reason_buffer(false);
    kdb_outbuf reason = lent.outbuf();
    abi_query.reason = &reason;
    const auto started = Clock::now();
    const kdb_status status = call_guarded(
        [&] {
          return instance.descriptor().admission->check(instance.handle(), &abi_query,
                                                        &retry_after_ms);
        },
        failure);
    const auto took = Clock::now() - started;
    latency_.observe(took);
    if (took > slow_call_) {
      log_throttled(
          plugin->slow, LogLevel::kWarn,
          instance.label() + " took " +
              std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(took).count()) +
              " us to check a " + event_name(query.event) +
              " (admission checks must not block; the network thread waited)");
    }
    if (const BufferBreach breach = lent.inspect(reason); breach != BufferBreach::kNone) {
      if (breach == BufferBreach::kWrotePastCap) {
        // The heap around the buffer may be damaged: stop calling this plugin at all.
        instance.disable();
        reason_buffer(true);
      }
      const std::string why = instance.label() + " " + std::string(breach_text(breach)) +
                              " (the admission reason, " + std::to_string(kMaxAdmissionReason) +
                              " bytes)";
      log_throttled(plugin->failures, LogLevel::kError, why + "; the request is refused");
      return {false, 0, {}, why};
    }
    if (status == KDB_OK && failure.empty()) continue;
    if (status == KDB_E_DENIED && failure.empty()) {
      return {false, retry_after_ms, printable(lent.read(reason).value_or("")), {}};
    }
    const std::string why = instance.label() + " failed a " + event_name(query.event) + " check: " +
                            (failure.empty() ? "returned " + status_name(status) : failure);
    log_throttled(plugin->failures, LogLevel::kError, why + "; the request is refused");
    return {false, 0, {}, why};
  }
  return {};
}

void AdmissionChain::tick(std::uint64_t monotonic_ns) const {
  for (const auto& plugin : plugins_) {
    const std::shared_ptr<const PluginInstance> held = plugin->instance.get();
    const PluginInstance& instance = *held;
    const kdb_admission_v1& table = *instance.descriptor().admission;
    if (instance.disabled() || table.tick == nullptr) continue;
    std::string failure;
    call_guarded(
        [&] {
          table.tick(instance.handle(), monotonic_ns);
          return KDB_OK;
        },
        failure);
    if (!failure.empty())
      log_throttled(plugin->failures, LogLevel::kError, instance.label() + " tick " + failure);
  }
}

std::shared_ptr<const PluginInstance> AdmissionChain::replace(
    std::shared_ptr<const PluginInstance> instance) {
  for (const auto& plugin : plugins_) {
    if (plugin->name == instance->name()) return plugin->instance.replace(std::move(instance));
  }
  return nullptr;
}

}  // namespace keepdb::plugin_host
