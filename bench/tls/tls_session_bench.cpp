// The tls plugin's costs in memory, through its kdb_transport_v1 table (no sockets, no
// kernel): one record written by a client session and read by a server session (encrypt
// + decrypt, with the pulls and feeds between them), and whole handshakes, full (the
// client keeps no tickets) and resumed (a ticket from the previous handshake).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "tests/unit/tls/tls_test_support.h"

namespace {

using keepdb::tls::test::client_options;
using keepdb::tls::test::Instance;
using keepdb::tls::test::pump;
using keepdb::tls::test::server_options;
using keepdb::tls::test::Session;
using keepdb::tls::test::transport;

void BM_RecordRoundTrip(benchmark::State& state) {
  const Instance server_instance(server_options());
  const Instance client_instance(client_options());
  Session server(server_instance);
  Session client(client_instance);
  pump(client, server);
  if (!server.established()) throw std::runtime_error("no handshake");
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'v');
  const kdb_bytes in{reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
  std::string wire(payload.size() + 1024, '\0');
  std::string plain(payload.size(), '\0');
  for (auto _ : state) {
    std::size_t consumed = 0;
    transport().write_plaintext(client.get(), in, &consumed);
    std::size_t written = 0;
    transport().pull_ciphertext(client.get(), reinterpret_cast<std::uint8_t*>(wire.data()),
                                wire.size(), &written);
    std::size_t fed = 0;
    transport().feed_ciphertext(
        server.get(), {reinterpret_cast<const std::uint8_t*>(wire.data()), written}, &fed, nullptr);
    std::size_t read = 0;
    transport().read_plaintext(server.get(), reinterpret_cast<std::uint8_t*>(plain.data()),
                               plain.size(), &read);
    if (consumed != payload.size() || fed != written || read != payload.size()) {
      state.SkipWithError("a record did not go through whole");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_RecordRoundTrip)->Arg(256)->Arg(16 * 1024);

void handshakes(benchmark::State& state, bool resume) {
  const Instance server_instance(server_options());
  const Instance client_instance(client_options({{"session_tickets", resume ? "true" : "false"}}));
  const auto handshake = [&] {
    Session server(server_instance);
    Session client(client_instance);
    pump(client, server);
    if (!client.established() || client.resumed() != resume) {
      throw std::runtime_error("the handshake was not what the benchmark measures");
    }
  };
  if (resume) {
    Session server(server_instance);
    Session client(client_instance);
    pump(client, server);  // the first ticket
  }
  for (auto _ : state) handshake();
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_FullHandshake(benchmark::State& state) {
  handshakes(state, false);
}
void BM_ResumedHandshake(benchmark::State& state) {
  handshakes(state, true);
}
BENCHMARK(BM_FullHandshake)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ResumedHandshake)->Unit(benchmark::kMicrosecond);

}  // namespace
