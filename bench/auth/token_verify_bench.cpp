// Token verify, the auth-token plugin's hot path: SHA-256 of the presented token plus a
// constant-time comparison against every entry of the secrets file (TokenStore::verify).
#include <benchmark/benchmark.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "plugins/auth-token/token_store.h"

namespace {

using keepdb::auth_token::TokenStore;

std::string token_number(int i) { return "benchmark-token-" + std::to_string(1'000'000 + i); }

// A private secrets file with `entries` lines; the store loaded from it.
TokenStore store_with(int entries) {
  char path[] = "/tmp/keepdb-bench-tokens-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) std::abort();
  ::close(fd);
  {
    std::ofstream out(path);
    for (int i = 0; i < entries; ++i) {
      out << keepdb::auth_token::to_hex(keepdb::auth_token::token_digest(token_number(i)))
          << " read,write\n";
    }
  }
  TokenStore store = TokenStore::load(path, keepdb::auth_token::kMinTokenLength);
  ::unlink(path);
  return store;
}

void BM_TokenVerify(benchmark::State& state) {
  const int entries = static_cast<int>(state.range(0));
  const TokenStore store = store_with(entries);
  const std::string token = token_number(entries - 1);  // matches the last entry
  for (auto _ : state) benchmark::DoNotOptimize(store.verify("", token));
}
BENCHMARK(BM_TokenVerify)->Arg(1)->Arg(10)->Arg(100);

void BM_TokenDigest(benchmark::State& state) {
  const std::string token(static_cast<std::size_t>(state.range(0)), 't');
  for (auto _ : state) benchmark::DoNotOptimize(keepdb::auth_token::token_digest(token));
}
BENCHMARK(BM_TokenDigest)->Arg(32)->Arg(64)->Arg(4096);

}  // namespace
