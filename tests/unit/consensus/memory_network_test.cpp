// MemoryNetwork's forward channel: forward frames travel like raft messages (encoded, after
// the link's delay, lost on a cut link, counted by type) and reach the forward receiver
// with the sender's id; a type that is not a forward frame is refused at send.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "kernel/consensus/peer/peer_codec.h"
#include "tests/unit/consensus/memory_network.h"
#include "tests/unit/consensus/virtual_clock.h"

namespace keepdb::consensus::testing {
namespace {

struct Received {
  raft_id from = 0;
  FrameType type = FrameType::kHello;
  std::vector<std::uint8_t> body;
  std::uint64_t at_ms = 0;
};

}  // namespace

TEST_CASE("the memory network delivers forward frames like raft messages", "[memory_network]") {
  VirtualScheduler scheduler;
  MemoryNetwork network(scheduler, 7);
  network.set_faults({.drop_probability = 0, .duplicate_probability = 0, .min_delay_ms = 3, .max_delay_ms = 3});
  auto& one = network.add_endpoint(1, "n1");
  auto& two = network.add_endpoint(2, "n2");
  std::vector<Received> received;
  two.set_forward_receiver([&](raft_id from, FrameType type, std::vector<std::uint8_t> body) {
    received.push_back({from, type, std::move(body), scheduler.now_ms()});
  });
  const std::uint64_t sent_at = scheduler.now_ms();
  std::optional<util::IoStatus> status;
  const std::vector<std::uint8_t> body{1, 2, 3};
  one.send_forward(2, "n2", FrameType::kForward, body, [&](util::IoStatus s) { status = s; });
  REQUIRE(status);
  CHECK(status->ok());
  CHECK(received.empty());  // never inside the send
  scheduler.run_for(10);
  REQUIRE(received.size() == 1);
  CHECK(received[0].from == 1);
  CHECK(received[0].type == FrameType::kForward);
  CHECK(received[0].body == body);
  CHECK(received[0].at_ms == sent_at + 3);
  CHECK(network.delivered_of_type(FrameType::kForward) == 1);

  SECTION("a cut link refuses the frame at send") {
    network.set_link(1, 2, false);
    status.reset();
    one.send_forward(2, "n2", FrameType::kForwardReply, body, [&](util::IoStatus s) { status = s; });
    REQUIRE(status);
    CHECK(status->code == RAFT_NOCONNECTION);
    scheduler.run_for(10);
    CHECK(received.size() == 1);
  }

  SECTION("a link cut while the frame is in flight loses it") {
    one.send_forward(2, "n2", FrameType::kForwardReply, body, [](util::IoStatus) {});
    network.set_link(1, 2, false);
    scheduler.run_for(10);
    CHECK(received.size() == 1);
    CHECK(network.frames_dropped() == 1);
  }

  SECTION("only forward frame types are sent") {
    status.reset();
    one.send_forward(2, "n2", FrameType::kHello, body, [&](util::IoStatus s) { status = s; });
    REQUIRE(status);
    CHECK(status->code == RAFT_INVALID);
  }
}

}  // namespace keepdb::consensus::testing
