// The host side of every kdb_host_api function.
#include "kernel/plugin_host/host_services.h"

#include <openssl/rand.h>

#include <chrono>
#include <climits>
#include <cstdint>

#include "kernel/plugin_host/abi_guard.h"
#include "kernel/plugin_host/abi_v1_0.h"
#include "kernel/plugin_host/pending_auth.h"

namespace keepdb::plugin_host {
namespace {

const HostServices& self(void* ctx) {
  return *static_cast<const HostServices*>(ctx);
}

std::string_view view(kdb_str text) {
  return text.len == 0 || text.ptr == nullptr ? std::string_view()
                                              : std::string_view(text.ptr, text.len);
}

LogLevel to_level(int level) {
  switch (level) {
    case KDB_LOG_DEBUG:
      return LogLevel::kDebug;
    case KDB_LOG_INFO:
      return LogLevel::kInfo;
    case KDB_LOG_WARN:
      return LogLevel::kWarn;
    default:
      return LogLevel::kError;
  }
}

void log_line(void* ctx, int level, kdb_str message) {
  try {
    const HostServices& host = self(ctx);
    host.log().write(to_level(level), host.label() + ": " + printable(view(message)));
  } catch (...) {
    // Logging must never fail the plugin's call.
  }
}

std::uint64_t nanoseconds(std::chrono::nanoseconds since_epoch) {
  return static_cast<std::uint64_t>(since_epoch.count());
}

std::uint64_t monotonic_ns(void*) {
  return nanoseconds(std::chrono::steady_clock::now().time_since_epoch());
}

std::uint64_t wall_ns(void*) {
  return nanoseconds(std::chrono::system_clock::now().time_since_epoch());
}

kdb_status random_bytes(void*, std::uint8_t* out, std::size_t n) {
  if (n == 0) return KDB_OK;
  if (out == nullptr || n > INT_MAX) return KDB_E_INVALID;
  return RAND_bytes(out, static_cast<int>(n)) == 1 ? KDB_OK : KDB_E_INTERNAL;
}

void auth_complete(void* ctx, const kdb_auth_completion* completion) {
  try {
    const HostServices& host = self(ctx);
    if (completion == nullptr || completion->struct_size < abi_v1_0::kAuthCompletionSize ||
        completion->struct_size > abi_v1_0::kMaxStructSize) {
      host.log().write(LogLevel::kError,
                       host.label() + ": auth_complete with a missing or undersized struct");
      return;
    }
    PendingAuths::Completion waiting = pending_auths().take(completion->ticket);
    if (!waiting) {
      host.log().write(LogLevel::kWarn, host.label() + ": auth_complete for ticket " +
                                            std::to_string(completion->ticket) +
                                            " that is not pending (late or repeated); ignored");
      return;
    }
    PluginAuthResult result;
    result.status = completion->status;
    result.roles = completion->roles;
    result.expires_unix_s = completion->expires_unix_s;
    // Oversized strings are passed on truncated by one byte past the limit, so the
    // adapter's length check still refuses them without copying unbounded input.
    result.principal.assign(view(completion->principal).substr(0, kMaxPrincipalName + 1));
    result.error.assign(view(completion->error).substr(0, kMaxPluginMessage));
    waiting(result);
  } catch (...) {
    // Out of memory while completing: the chain's deadline answers the client.
  }
}

}  // namespace

HostServices::HostServices(std::string label, std::string config_dir, LogSink& log)
    : label_(std::move(label)),
      config_dir_(std::move(config_dir)),
      log_(log),
      api_{sizeof(kdb_host_api),
           KDB_ABI_MAJOR,
           KDB_ABI_MINOR,
           this,
           &log_line,
           &monotonic_ns,
           &wall_ns,
           &random_bytes,
           &auth_complete,
           kdb_str{config_dir_.data(), config_dir_.size()}} {}

}  // namespace keepdb::plugin_host
