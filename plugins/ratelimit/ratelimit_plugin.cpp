// The ratelimit plugin's ABI surface: descriptor, option schema, create/destroy and the
// admission table (check, tick), all behind the SDK's exception barrier. The decisions are
// Limiter's; this file converts between the C structs and it, and reads the host's clock.
#include <keepdb/plugin.h>
#include <keepdb/plugin_sdk.hpp>

#include <stdexcept>
#include <utility>
#include <vector>

#include "plugins/ratelimit/limiter.h"

namespace {

using keepdb::ratelimit::Limiter;

struct Instance {
  const kdb_host_api* host;
  Limiter limiter;
};

keepdb::ratelimit::HashSeed random_seed(const kdb_host_api& host) {
  keepdb::ratelimit::HashSeed seed;
  if (host.random_bytes(host.ctx, reinterpret_cast<std::uint8_t*>(&seed), sizeof seed) != KDB_OK) {
    throw std::runtime_error("the host's random_bytes failed");
  }
  return seed;
}

kdb_status create_instance(const kdb_host_api* host, const kdb_option* options, size_t n_options,
                           void** instance, kdb_outbuf* error) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  pairs.reserve(n_options);
  for (size_t i = 0; i < n_options; ++i) {
    pairs.emplace_back(kdb::sdk::view(options[i].key), kdb::sdk::view(options[i].value));
  }
  try {
    auto config = keepdb::ratelimit::parse_config(pairs);
    auto log = [host](int level, std::string_view line) {
      host->log(host->ctx, level, kdb::sdk::str(line));
    };
    *instance = new Instance{host, Limiter(std::move(config), random_seed(*host), std::move(log))};
  } catch (const std::invalid_argument& invalid) {
    kdb::sdk::set_message(error, invalid.what());
    return KDB_E_INVALID;
  }
  return KDB_OK;
}

kdb_status check_query(Instance& self, const kdb_admission_query* query, uint32_t* retry_after_ms) {
  if (query == nullptr || query->conn == nullptr ||
      !KDB_HAS(kdb_admission_query, query, request_bytes)) {
    return KDB_E_INVALID;
  }
  const keepdb::ratelimit::Event event{query->event,
                                       query->conn->conn_id,
                                       kdb::sdk::view(query->conn->peer_addr),
                                       kdb::sdk::view(query->principal),
                                       kdb::sdk::view(query->command),
                                       query->request_bytes};
  const auto decision = self.limiter.check(event, self.host->monotonic_ns(self.host->ctx));
  if (retry_after_ms != nullptr) *retry_after_ms = decision.retry_after_ms;
  if (decision.admitted) return KDB_OK;
  if (KDB_HAS(kdb_admission_query, query, reason)) {
    kdb::sdk::set_message(query->reason, keepdb::ratelimit::denial_text(decision.reason));
  }
  return KDB_E_DENIED;
}

kdb_status create(const kdb_host_api* host, const kdb_option* options, size_t n_options,
                  void** instance, kdb_outbuf* error) {
  return KDB_GUARD(error, create_instance(host, options, n_options, instance, error));
}

void destroy(void* instance) {
  kdb::sdk::guard_void([&] { delete static_cast<Instance*>(instance); });
}

kdb_status check(void* instance, const kdb_admission_query* query, uint32_t* retry_after_ms) {
  return KDB_GUARD(nullptr, check_query(*static_cast<Instance*>(instance), query, retry_after_ms));
}

void tick(void* instance, uint64_t monotonic_ns) {
  kdb::sdk::guard_void([&] { static_cast<Instance*>(instance)->limiter.tick(monotonic_ns); });
}

constexpr kdb_admission_v1 kAdmission{sizeof(kdb_admission_v1), &check, &tick};

const kdb_plugin_descriptor kDescriptor{
    sizeof(kdb_plugin_descriptor),
    1,  // ABI major this plugin was written for (plugin.h convention 3)
    3,  // ABI minor: 1.3's denial reason, written only when the host offers it (KDB_HAS)
    "ratelimit",
    KEEPDB_RATELIMIT_VERSION,
    "compiler " __VERSION__,
    KDB_KIND_ADMISSION,
    keepdb::ratelimit::option_schema().data(),
    keepdb::ratelimit::option_schema().size(),
    &create,
    &destroy,
    nullptr,
    nullptr,
    &kAdmission,
    nullptr,
};

}  // namespace

extern "C" const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api*) {
  return &kDescriptor;
}
