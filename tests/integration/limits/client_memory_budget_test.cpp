// limits.max_client_memory_bytes against a real keepd: many clients pipeline GETs of large
// values without reading the replies. The biggest are disconnected (logged), a client that
// holds less keeps its replies, a well-behaved client keeps getting PONG (its latency is
// printed, not asserted), and the server's memory stays bounded by the budget.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "tests/integration/harness/info_text.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/process_memory.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/limits/survival.h"

using namespace keepdb::integration;

namespace {

constexpr std::size_t kValueBytes = 256 * 1024;
constexpr std::size_t kModestValueBytes = 32 * 1024;
constexpr std::size_t kReplyLimit = 8u << 20;  // per client: paused once this much is unread
constexpr std::size_t kBudget = 16u << 20;     // all clients together
constexpr int kGreedyClients = 64;             // 512 MiB of unread replies without the budget
constexpr int kGetsPerGreedyClient = 36;       // 9 MiB asked for by each

// How long a request may wait while the greedy clients are being closed: it may queue
// behind every greedy client's turn, each running its pipeline until the budget closes it (a
// few ms each in a plain build, a few hundred under ASan, some 200 ms under ThreadSanitizer,
// which checks every byte a reply copies: 62 turns took 12 s there).
constexpr milliseconds kEvictionTurnsTimeout = kReplyTimeout * 6;

std::size_t connected_clients(std::uint16_t port) {
  RawClient info(port);
  return std::stoul(info_field(info.command({"INFO", "clients"}, kEvictionTurnsTimeout).text,
                               "connected_clients"));
}

}  // namespace

TEST_CASE("max_client_memory_bytes: the biggest clients are closed, others are served",
          "[limits][client-memory]") {
  // Sockets on the network thread, then on two I/O threads ([client] io_threads).
  const unsigned io_threads = GENERATE(0u, 2u);
  CAPTURE(io_threads);
  KeepdProcess keepd(KeepdSettings("limit-client-memory")
                         .io_threads(io_threads)
                         .limit("max_bulk_bytes", kValueBytes)
                         .limit("max_reply_buffer_bytes", kReplyLimit)
                         .limit("max_client_memory_bytes", kBudget)
                         .limit("request_timeout_ms", 60'000));
  write_witness(keepd.port());
  RawClient well_behaved(keepd.port());
  REQUIRE(well_behaved.command({"SET", "large", std::string(kValueBytes, 'L')}).text == "OK");
  REQUIRE(well_behaved.command({"SET", "modest", std::string(kModestValueBytes, 'M')}).text ==
          "OK");
  const std::size_t before_kib = resident_kib(keepd.pid());

  // Holds 4 replies (128 KiB) unread: less than a greedy client holding one reply, so never
  // the biggest while closing the biggest can still bring the total under the budget. (The
  // budget may be crossed while every greedy client holds one or two replies: with 4 large
  // ones this client would be the biggest then.)
  RawClient modest(keepd.port());
  std::string four_gets;
  for (int i = 0; i < 4; ++i) four_gets += encode_command({"GET", "modest"});
  REQUIRE(modest.send(four_gets));

  RawClient::Options small_window;
  small_window.receive_buffer_bytes = 4096;
  std::string gets;
  for (int i = 0; i < kGetsPerGreedyClient; ++i) gets += encode_command({"GET", "large"});
  std::vector<std::unique_ptr<RawClient>> greedy;
  for (int i = 0; i < kGreedyClients; ++i) {
    greedy.push_back(std::make_unique<RawClient>(keepd.port(), small_window));
    greedy.back()->send(gets);  // may fail once the server has closed it
  }

  // At most kBudget / kReplyLimit greedy clients fit; the others must be closed. PING on
  // the well-behaved connection all along, and time it.
  std::vector<double> ping_ms;
  // Connected: the well-behaved and modest clients, the INFO connection, and the survivors.
  const std::size_t most_left = 3 + kBudget / kReplyLimit;
  const bool evicted = poll_until(
      [&] {
        const auto start = Clock::now();
        REQUIRE(well_behaved.command({"PING"}, kEvictionTurnsTimeout).text == "PONG");
        ping_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        return connected_clients(keepd.port()) <= most_left;
      },
      kEvictionTurnsTimeout * 2);
  CHECK(evicted);
  CHECK(keepd.wait_for_log("client memory budget exceeded"));
  std::sort(ping_ms.begin(), ping_ms.end());
  std::printf("client memory budget: %zu PINGs while evicting, median %.2f ms, max %.2f ms\n",
              ping_ms.size(), ping_ms[ping_ms.size() / 2], ping_ms.back());

  // The modest client was not the biggest: all its replies are there.
  for (int i = 0; i < 4; ++i) CHECK(modest.read_reply().text.size() == kModestValueBytes);
  CHECK(well_behaved.command({"PING"}).text == "PONG");
  check_still_serving(keepd.port());

  const std::size_t growth_kib = peak_resident_kib(keepd.pid()) - before_kib;
  std::printf("client memory budget: peak RSS grew by %zu KiB (budget %zu KiB)\n", growth_kib,
              kBudget >> 10);
  // The budget, the replies being written out, and the allocator's slack (a reply string
  // grows by doubling, and the steps it leaves stay in the heap): far less than the
  // kGreedyClients * kReplyLimit (512 MiB) the clients would hold without the budget.
  // Measured on two cores: 21-26 MiB on the network thread, 36-42 MiB with two I/O threads,
  // whose completions reach the network thread later, and 50 MiB once with the full suite
  // running beside it.
  CHECK(growth_kib < sanitized_growth_kib(4 * (kBudget >> 10)));
}
