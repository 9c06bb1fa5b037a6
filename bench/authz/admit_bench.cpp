// Owns the benchmark of commands::admit(), the authorization check every request passes
// before it runs: command lookup, arity, the NOAUTH gate, the role check against the
// session's principal, and (for writes) argument validation. Measured for GET and SET by
// a principal allowed to run them, and for the refusals (NOPERM, NOAUTH), which build an
// error text.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/dispatcher.h"

namespace {

using keepdb::commands::admit;
using keepdb::commands::Args;
using keepdb::commands::Session;

// A session authenticated as `principal` holding `roles`.
Session session_with(std::uint32_t roles, std::string principal = "bench") {
  Session session;
  session.authenticated = true;
  session.principal = std::move(principal);
  session.roles = roles;
  return session;
}

const std::vector<std::string_view> kGet{"GET", "user:1000:profile"};
const std::vector<std::string_view> kSet{"SET", "user:1000:profile", "some value"};

// Runs admit() on `request` for `session`; fails the run if the verdict is not `allowed`.
void run_admit(benchmark::State& state, const std::vector<std::string_view>& request,
               const Session& session, bool allowed) {
  const Args args(request);
  if (const auto verdict = admit(args, session); (verdict.spec != nullptr) != allowed) {
    // The refusal text when it refused; a fixed text when it allowed a refused request.
    state.SkipWithError(verdict.spec == nullptr ? verdict.error.c_str()
                                                : "admit() allowed a request it must refuse");
    return;
  }
  for (auto _ : state) {
    auto admission = admit(args, session);
    benchmark::DoNotOptimize(admission);
  }
}

void BM_AdmitGet_Reader(benchmark::State& state) {
  run_admit(state, kGet, session_with(keepdb::commands::kRoleRead), true);
}
BENCHMARK(BM_AdmitGet_Reader);

void BM_AdmitSet_Writer(benchmark::State& state) {
  run_admit(state, kSet, session_with(keepdb::commands::kRoleRead | keepdb::commands::kRoleWrite),
            true);
}
BENCHMARK(BM_AdmitSet_Writer);

void BM_AdmitSet_ReaderDenied(benchmark::State& state) {
  run_admit(state, kSet, session_with(keepdb::commands::kRoleRead), false);
}
BENCHMARK(BM_AdmitSet_ReaderDenied);

void BM_AdmitGet_Unauthenticated(benchmark::State& state) {
  Session session;
  session.authenticated = false;
  run_admit(state, kGet, session, false);
}
BENCHMARK(BM_AdmitGet_Unauthenticated);

}  // namespace
