// Owns the benchmark of the admission seam's cost on the command path:
// plugin_host::AdmissionChain::check for one command, with no admission plugin (the kernel
// then passes no gate at all; shown for scale), and with one and four plugins whose check is
// an O(1) counter (so what is measured is the host: the C query built on the stack, the ABI
// guard, the slow-call clock reads, the verdict). The plugin is defined here through the C ABI
// and created through the real PluginInstance, without a shared object.
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <vector>

#include "kernel/plugin_host/admission_chain.h"
#include "kernel/plugin_host/log_sink.h"
#include "kernel/plugin_host/plugin_instance.h"

namespace {

using keepdb::plugin_host::AdmissionChain;
using keepdb::plugin_host::AdmissionQuery;
using keepdb::plugin_host::PluginInstance;

std::atomic<std::uint64_t> checks{0};

kdb_status create(const kdb_host_api*, const kdb_option*, size_t, void** instance, kdb_outbuf*) {
  *instance = nullptr;
  return KDB_OK;
}
void destroy(void*) {}
kdb_status check(void*, const kdb_admission_query* query, uint32_t*) {
  checks.fetch_add(query->request_bytes, std::memory_order_relaxed);
  return KDB_OK;
}

constexpr kdb_admission_v1 kTable{sizeof(kdb_admission_v1), check, nullptr};
constexpr kdb_plugin_descriptor kDescriptor{sizeof(kdb_plugin_descriptor),
                                            1,
                                            1,
                                            "bench-admission",
                                            "0",
                                            "bench",
                                            KDB_KIND_ADMISSION,
                                            nullptr,
                                            0,
                                            create,
                                            destroy,
                                            nullptr,
                                            nullptr,
                                            &kTable,
                                            nullptr};

void run_chain(benchmark::State& state, int plugins) {
  auto& log = keepdb::plugin_host::stderr_log_sink();
  std::vector<std::shared_ptr<const PluginInstance>> instances;
  for (int i = 0; i < plugins; ++i) {
    instances.push_back(std::make_shared<PluginInstance>(
        "bench", kDescriptor, keepdb::plugin_host::OptionList{}, "", log));
  }
  const AdmissionChain chain(instances, log);
  AdmissionQuery query;
  query.conn_id = 42;
  query.peer_addr = "127.0.0.1";
  query.principal = "bench";
  query.command = "set";
  query.request_bytes = 40;
  for (auto _ : state) {
    auto verdict = chain.check(query);
    benchmark::DoNotOptimize(verdict);
  }
}

void BM_AdmissionCheck_NoPlugin(benchmark::State& state) {
  run_chain(state, 0);
}
BENCHMARK(BM_AdmissionCheck_NoPlugin);

void BM_AdmissionCheck_OnePlugin(benchmark::State& state) {
  run_chain(state, 1);
}
BENCHMARK(BM_AdmissionCheck_OnePlugin);

void BM_AdmissionCheck_FourPlugins(benchmark::State& state) {
  run_chain(state, 4);
}
BENCHMARK(BM_AdmissionCheck_FourPlugins);

}  // namespace
