// Google Benchmark of the write path's storage cost: one batch of 1, 16 or 64 SETs of
// 256-byte values applied by the StateMachine in one LMDB write transaction and committed.
// "sync" commits as a durable environment does (fsync on commit); "nosync" uses an
// environment opened with MDB_NOSYNC, so it measures the apply and commit work alone and
// the difference is the cost of the sync. Wall-clock time, since fsync waits are not CPU.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "kernel/commands/state_machine.h"
#include "storage/kv_store.h"
#include "storage/lmdb.h"
#include "tests/support/temp_dir.h"

namespace {

using keepdb::commands::OpBatchBuilder;
using keepdb::commands::StateMachine;
using keepdb::storage::WriteTxn;

constexpr std::size_t kValueBytes = 256;
constexpr int kKeySpace = 4096;  // keys are overwritten in turn: a steady-state tree

// Encoded batches of `sets_per_batch` SETs that together cover the key space once.
std::vector<std::string> set_batches(int sets_per_batch) {
  const std::string value(kValueBytes, 'v');
  std::vector<std::string> batches;
  OpBatchBuilder builder;
  char key[16];
  for (int i = 0; i < kKeySpace; ++i) {
    std::snprintf(key, sizeof key, "key:%06d", i);
    const std::string_view op[] = {"SET", key, value};
    builder.add(op);
    if (static_cast<int>(builder.size()) == sets_per_batch) batches.push_back(builder.take(1'700'000'000'000));
  }
  return batches;
}

void apply_set_batches(benchmark::State& state, unsigned env_flags) {
  const int sets_per_batch = static_cast<int>(state.range(0));
  const keepdb::test::TempDir dir;
  const keepdb::storage::Env env(dir.path(),
                                 {.map_size_bytes = 256u << 20, .extra_flags = env_flags});
  const keepdb::storage::KvStore kv(env);
  StateMachine state_machine(kv, 16u << 20);
  const std::vector<std::string> batches = set_batches(sets_per_batch);
  std::uint64_t index = 0;
  auto apply = [&](const std::string& batch) {
    WriteTxn txn(env);
    benchmark::DoNotOptimize(state_machine.apply_batch(txn.get(), batch, ++index).data());
    txn.commit();
  };
  for (const std::string& batch : batches) apply(batch);  // every key exists from here on
  std::size_t next = 0;
  for (auto _ : state) {
    apply(batches[next]);
    next = (next + 1) % batches.size();
  }
  state.SetItemsProcessed(state.iterations() * sets_per_batch);
  state.SetBytesProcessed(state.iterations() * sets_per_batch *
                          static_cast<std::int64_t>(kValueBytes));
}

BENCHMARK_CAPTURE(apply_set_batches, sync, 0u)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();
BENCHMARK_CAPTURE(apply_set_batches, nosync, unsigned{MDB_NOSYNC})
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->UseRealTime();

}  // namespace
